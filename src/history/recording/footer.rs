//! A walk over a Parquet footer's Thrift compact encoding before polars
//! reads it. polars' footer reader sizes each list from the count the file
//! states (`Vec::with_capacity`), so a forged count makes it ask for
//! gigabytes, and past the machine's memory the process aborts (found twice
//! by the `recording` fuzz target). It also reads a field by its id, not by
//! the type the file gives it: a field 2 written as an integer is read as
//! the list of schema elements polars expects there.
//!
//! So this walk follows the same fields the way polars will read them (its
//! `handwritten_thrift` reader, polars-parquet 0.55.2): every field polars
//! reads must carry the type polars reads it as, every list may state no
//! more entries than the bytes left, nesting stops at 64 levels. Unknown
//! fields are skipped the way polars skips them, so both stay in step.

/// Largest footer firedrill reads. Its own recordings have footers of a few
/// KiB (a dozen columns, a few row groups).
const MAX_FOOTER_BYTES: usize = 16 << 20;
/// Deepest nesting of structs and lists (polars skips to 64 too).
const MAX_DEPTH: usize = 64;

/// Checks the footer of `file` (a whole Parquet file). A file too short or
/// without the `PAR1` tail passes: polars then says what is wrong with it.
pub(super) fn check(file: &[u8]) -> Result<(), String> {
    let n = file.len();
    if n < 12 || &file[n - 4..] != b"PAR1" {
        return Ok(());
    }
    let len = u32::from_le_bytes([file[n - 8], file[n - 7], file[n - 6], file[n - 5]]) as usize;
    if len > n - 8 {
        return Ok(());
    }
    if len > MAX_FOOTER_BYTES {
        return Err(format!(
            "its footer is {} MiB, more than the {} MiB firedrill reads",
            len >> 20,
            MAX_FOOTER_BYTES >> 20
        ));
    }
    let mut walk = Walk {
        bytes: &file[n - 8 - len..n - 8],
        at: 0,
    };
    walk.fields(&FILE_METADATA, 0)
}

// Thrift compact protocol type codes.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const STRUCT: u8 = 12;

/// How polars reads a field.
#[derive(Clone, Copy)]
enum Kind {
    /// i16, i32 or i64: a varint.
    Varint,
    Byte,
    Bool,
    Binary,
    Struct(&'static Schema),
    List(&'static Kind),
}

/// The fields of a struct polars reads, by id; others it skips.
struct Schema {
    name: &'static str,
    fields: &'static [(i16, Kind)],
}

const EMPTY: Schema = Schema {
    name: "an empty struct",
    fields: &[],
};
const TIME_UNIT: Schema = Schema {
    name: "TimeUnit",
    fields: &[
        (1, Kind::Struct(&EMPTY)),
        (2, Kind::Struct(&EMPTY)),
        (3, Kind::Struct(&EMPTY)),
    ],
};
const TIME: Schema = Schema {
    name: "TimeType",
    fields: &[(1, Kind::Bool), (2, Kind::Struct(&TIME_UNIT))],
};
const DECIMAL: Schema = Schema {
    name: "DecimalType",
    fields: &[(1, Kind::Varint), (2, Kind::Varint)],
};
const INT_TYPE: Schema = Schema {
    name: "IntType",
    fields: &[(1, Kind::Byte), (2, Kind::Bool)],
};
const LOGICAL_TYPE: Schema = Schema {
    name: "LogicalType",
    fields: &[
        (1, Kind::Struct(&EMPTY)),
        (2, Kind::Struct(&EMPTY)),
        (3, Kind::Struct(&EMPTY)),
        (4, Kind::Struct(&EMPTY)),
        (5, Kind::Struct(&DECIMAL)),
        (6, Kind::Struct(&EMPTY)),
        (7, Kind::Struct(&TIME)),
        (8, Kind::Struct(&TIME)),
        (10, Kind::Struct(&INT_TYPE)),
        (11, Kind::Struct(&EMPTY)),
        (12, Kind::Struct(&EMPTY)),
        (13, Kind::Struct(&EMPTY)),
        (14, Kind::Struct(&EMPTY)),
        (15, Kind::Struct(&EMPTY)),
    ],
};
const SCHEMA_ELEMENT: Schema = Schema {
    name: "SchemaElement",
    fields: &[
        (1, Kind::Varint),
        (2, Kind::Varint),
        (3, Kind::Varint),
        (4, Kind::Binary),
        (5, Kind::Varint),
        (6, Kind::Varint),
        (7, Kind::Varint),
        (8, Kind::Varint),
        (9, Kind::Varint),
        (10, Kind::Struct(&LOGICAL_TYPE)),
    ],
};
const STATISTICS: Schema = Schema {
    name: "Statistics",
    fields: &[
        (1, Kind::Binary),
        (2, Kind::Binary),
        (3, Kind::Varint),
        (4, Kind::Varint),
        (5, Kind::Binary),
        (6, Kind::Binary),
        (7, Kind::Bool),
        (8, Kind::Bool),
    ],
};
const COLUMN_METADATA: Schema = Schema {
    name: "ColumnMetaData",
    fields: &[
        (1, Kind::Varint),
        (2, Kind::List(&Kind::Varint)),
        (3, Kind::List(&Kind::Binary)),
        (4, Kind::Varint),
        (5, Kind::Varint),
        (6, Kind::Varint),
        (7, Kind::Varint),
        (9, Kind::Varint),
        (10, Kind::Varint),
        (11, Kind::Varint),
        (12, Kind::Struct(&STATISTICS)),
        (14, Kind::Varint),
        (15, Kind::Varint),
    ],
};
const COLUMN_CHUNK: Schema = Schema {
    name: "ColumnChunk",
    fields: &[
        (1, Kind::Binary),
        (2, Kind::Varint),
        (3, Kind::Struct(&COLUMN_METADATA)),
        (4, Kind::Varint),
        (5, Kind::Varint),
        (6, Kind::Varint),
        (7, Kind::Varint),
    ],
};
const SORTING_COLUMN: Schema = Schema {
    name: "SortingColumn",
    fields: &[(1, Kind::Varint), (2, Kind::Bool), (3, Kind::Bool)],
};
const ROW_GROUP: Schema = Schema {
    name: "RowGroup",
    fields: &[
        (1, Kind::List(&Kind::Struct(&COLUMN_CHUNK))),
        (2, Kind::Varint),
        (3, Kind::Varint),
        (4, Kind::List(&Kind::Struct(&SORTING_COLUMN))),
        (5, Kind::Varint),
        (6, Kind::Varint),
        (7, Kind::Varint),
    ],
};
const KEY_VALUE: Schema = Schema {
    name: "KeyValue",
    fields: &[(1, Kind::Binary), (2, Kind::Binary)],
};
const COLUMN_ORDER: Schema = Schema {
    name: "ColumnOrder",
    fields: &[(1, Kind::Struct(&EMPTY)), (2, Kind::Struct(&EMPTY))],
};
const FILE_METADATA: Schema = Schema {
    name: "FileMetaData",
    fields: &[
        (1, Kind::Varint),
        (2, Kind::List(&Kind::Struct(&SCHEMA_ELEMENT))),
        (3, Kind::Varint),
        (4, Kind::List(&Kind::Struct(&ROW_GROUP))),
        (5, Kind::List(&Kind::Struct(&KEY_VALUE))),
        (6, Kind::Binary),
        (7, Kind::List(&Kind::Struct(&COLUMN_ORDER))),
    ],
};

/// Whether a value the file gives Thrift type `wire` is read by polars as
/// `kind` without misreading its bytes.
fn wire_fits(kind: Kind, wire: u8) -> bool {
    match kind {
        Kind::Varint => matches!(wire, I16 | I32 | I64),
        Kind::Byte => wire == BYTE,
        Kind::Bool => matches!(wire, BOOL_TRUE | BOOL_FALSE),
        Kind::Binary => wire == BINARY,
        Kind::Struct(_) => wire == STRUCT,
        Kind::List(_) => wire == LIST,
    }
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or("its footer ends in the middle of a value")?;
        self.at += 1;
        Ok(b)
    }

    fn skip(&mut self, count: u64) -> Result<(), String> {
        if count > self.left() as u64 {
            return Err(format!(
                "its footer states a {count}-byte value with {} bytes left",
                self.left()
            ));
        }
        self.at += count as usize;
        Ok(())
    }

    /// An unsigned LEB128 varint of at most 10 bytes.
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("its footer holds a varint longer than 10 bytes".into())
    }

    fn deeper(depth: usize) -> Result<usize, String> {
        if depth >= MAX_DEPTH {
            return Err(format!("its footer nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(depth + 1)
    }

    /// A struct's fields up to its stop, each checked against `schema`.
    fn fields(&mut self, schema: &Schema, depth: usize) -> Result<(), String> {
        let depth = Self::deeper(depth)?;
        let mut last: i16 = 0;
        loop {
            let header = self.byte()?;
            let wire = header & 0x0f;
            if wire == 0 {
                return Ok(());
            }
            let delta = header >> 4;
            let id = if delta != 0 {
                last.checked_add(i16::from(delta))
                    .ok_or("its footer's field ids overflow")?
            } else {
                // A zigzag varint, cut to 16 bits as polars does.
                let raw = self.varint()?;
                ((raw >> 1) as i64 ^ -((raw & 1) as i64)) as i16
            };
            match schema.fields.iter().find(|(field, _)| *field == id) {
                Some((_, kind)) => self.expect(schema, id, *kind, wire, depth)?,
                None => self.skip_value(wire, depth)?,
            }
            last = id;
        }
    }

    /// A field polars reads as `kind`: the file must give it that type.
    fn expect(
        &mut self,
        schema: &Schema,
        id: i16,
        kind: Kind,
        wire: u8,
        depth: usize,
    ) -> Result<(), String> {
        let fits = wire_fits(kind, wire);
        if !fits {
            return Err(format!(
                "field {id} of its footer's {} has Thrift type {wire}, not the one Parquet gives it",
                schema.name
            ));
        }
        match kind {
            Kind::Bool => Ok(()),
            Kind::List(element) => {
                let (count, element_wire) = self.list_header()?;
                let element_fits = wire_fits(*element, element_wire);
                if count > 0 && !element_fits {
                    return Err(format!(
                        "field {id} of its footer's {} is a list of Thrift type {element_wire}, not the one Parquet gives it",
                        schema.name
                    ));
                }
                let depth = Self::deeper(depth)?;
                for _ in 0..count {
                    self.element(*element, depth)?;
                }
                Ok(())
            }
            _ => self.element(kind, depth),
        }
    }

    /// One value polars reads as `kind` (its type already checked).
    fn element(&mut self, kind: Kind, depth: usize) -> Result<(), String> {
        match kind {
            Kind::Varint => self.varint().map(drop),
            Kind::Byte => self.skip(1),
            Kind::Bool => Ok(()),
            Kind::Binary => {
                let len = self.varint()?;
                self.skip(len)
            }
            Kind::Struct(schema) => self.fields(schema, depth),
            Kind::List(_) => Err("its footer nests a list where Parquet has none".into()),
        }
    }

    /// A list's entry count and element type. No entry takes less than a
    /// byte (polars skips booleans in no bytes, so this bound is the
    /// stricter one), so a count past the bytes left cannot be true.
    fn list_header(&mut self) -> Result<(u64, u8), String> {
        let header = self.byte()?;
        let mut count = u64::from(header >> 4);
        if count == 15 {
            count = self.varint()?;
        }
        if count > self.left() as u64 {
            return Err(format!(
                "its footer states a list of {count} entries with {} bytes left",
                self.left()
            ));
        }
        Ok((count, header & 0x0f))
    }

    /// A field polars does not read, skipped as polars skips it.
    fn skip_value(&mut self, wire: u8, depth: usize) -> Result<(), String> {
        match wire {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.skip(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip(8),
            BINARY => {
                let len = self.varint()?;
                self.skip(len)
            }
            STRUCT => self.fields(&EMPTY, depth),
            LIST => {
                let (count, element) = self.list_header()?;
                let depth = Self::deeper(depth)?;
                for _ in 0..count {
                    self.skip_value(element, depth)?;
                }
                Ok(())
            }
            other => Err(format!(
                "its footer holds Thrift type {other}, which Parquet does not use"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    /// A file whose footer is `footer`.
    fn file(footer: &[u8]) -> Vec<u8> {
        let mut out = b"PAR1".to_vec();
        out.extend_from_slice(footer);
        out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        out.extend_from_slice(b"PAR1");
        out
    }

    /// version 1; schema: one element named "a"; num_rows 0; no row groups.
    const MINIMAL: [u8; 13] = [
        0x15, 0x02, // 1: i32 1
        0x19, 0x1c, // 2: list of 1 struct
        0x48, 0x01, b'a', 0x00, // SchemaElement { 4: "a" }
        0x16, 0x00, // 3: i64 0
        0x19, 0x0c, // 4: list of 0 structs
        0x00,
    ];

    #[test]
    fn a_minimal_footer_passes() {
        assert_eq!(check(&file(&MINIMAL)), Ok(()));
    }

    #[test]
    fn a_list_longer_than_the_footer_is_refused() {
        // 2: a list of structs claiming 2^31 elements.
        let footer = [
            0x15, 0x02, 0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x00,
        ];
        let error = check(&file(&footer)).unwrap_err();
        assert!(error.contains("list of 2147483648 entries"), "{error}");
    }

    #[test]
    fn a_field_of_another_type_than_polars_reads_is_refused() {
        // 2 written as an i32: polars would read the varint's bytes as a list header.
        let footer = [0x15, 0x02, 0x15, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        let error = check(&file(&footer)).unwrap_err();
        assert!(
            error.contains("field 2 of its footer's FileMetaData has Thrift type 5"),
            "{error}"
        );
        // A list of integers where polars reads schema elements.
        let footer = [0x29, 0x15, 0x02, 0x00];
        assert!(check(&file(&footer))
            .unwrap_err()
            .contains("is a list of Thrift type 5"));
    }

    #[test]
    fn a_binary_longer_than_the_footer_is_refused() {
        let footer = [0x68, 0xff, 0xff, 0x03, b'x', 0x00];
        assert!(check(&file(&footer))
            .unwrap_err()
            .contains("65535-byte value"));
    }

    #[test]
    fn unknown_fields_are_skipped_and_deep_nesting_refused() {
        // The minimal footer, then 20 (a full id): an unknown struct
        // holding an unknown list of two i64s.
        let mut footer = MINIMAL[..12].to_vec();
        footer.extend_from_slice(&[0x0c, 0x28, 0x19, 0x26, 0x02, 0x04, 0x00, 0x00]);
        assert_eq!(check(&file(&footer)), Ok(()));
        // The same list claiming more entries than there are bytes.
        footer[15] = 0xf6;
        footer.insert(16, 0x7f);
        assert!(check(&file(&footer))
            .unwrap_err()
            .contains("list of 127 entries"));
        let mut deep = vec![0xfc; 1]; // 15: unknown struct
        deep.extend(vec![0x1c; 100]); // field 16.. of it: struct, 100 times
        deep.extend(vec![0x00; 101]);
        assert!(check(&file(&deep)).unwrap_err().contains("deeper than 64"));
        assert!(check(&file(&[0x15]))
            .unwrap_err()
            .contains("ends in the middle"));
    }

    #[test]
    fn what_is_not_a_parquet_tail_is_left_to_polars() {
        assert_eq!(check(b"not parquet at all"), Ok(()));
        assert_eq!(check(b"PAR1\xff\xff\xff\x7fPAR1"), Ok(()));
    }
}
