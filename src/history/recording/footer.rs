//! A walk over a Parquet footer's Thrift compact encoding before polars
//! reads it. polars' footer reader sizes each list from the count the file
//! states (`Vec::with_capacity`), so a forged count makes it ask for
//! gigabytes, and past the machine's memory the process aborts (found by the
//! `recording` fuzz target). Every element of a list takes at least one
//! byte, so a count larger than the bytes left cannot be true: refuse it
//! here, with the nesting depth bounded too.

/// Largest footer firedrill reads. Its own recordings have footers of a few
/// KiB (a dozen columns, a few row groups).
const MAX_FOOTER_BYTES: usize = 16 << 20;
/// Deepest nesting of structs and lists (Parquet's own schema needs 6).
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
    walk.fields(0)
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
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

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

    /// A struct's fields up to its stop byte.
    fn fields(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("its footer nests deeper than {MAX_DEPTH} levels"));
        }
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(());
            }
            if header >> 4 == 0 {
                self.varint()?; // the field id, in full
            }
            match header & 0x0f {
                // A boolean field's value is its type code.
                BOOL_TRUE | BOOL_FALSE => {}
                kind => self.value(kind, depth + 1)?,
            }
        }
    }

    /// One value of `kind`; booleans inside lists and maps take a byte.
    fn value(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        match kind {
            BOOL_TRUE | BOOL_FALSE | BYTE => self.skip(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip(8),
            BINARY => {
                let len = self.varint()?;
                self.skip(len)
            }
            LIST | SET => {
                let header = self.byte()?;
                let mut count = u64::from(header >> 4);
                if count == 15 {
                    count = self.varint()?;
                }
                self.elements(count, 1, &[header & 0x0f], depth)
            }
            MAP => {
                let count = self.varint()?;
                if count == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                self.elements(count, 2, &[types >> 4, types & 0x0f], depth)
            }
            STRUCT => self.fields(depth),
            other => Err(format!("its footer holds an unknown Thrift type {other}")),
        }
    }

    /// `count` entries of `kinds` (one for a list, key and value for a map).
    fn elements(
        &mut self,
        count: u64,
        bytes_each: u64,
        kinds: &[u8],
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("its footer nests deeper than {MAX_DEPTH} levels"));
        }
        if count.saturating_mul(bytes_each) > self.left() as u64 {
            return Err(format!(
                "its footer states a list of {count} entries with {} bytes left",
                self.left()
            ));
        }
        for _ in 0..count {
            for &kind in kinds {
                self.value(kind, depth + 1)?;
            }
        }
        Ok(())
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

    #[test]
    fn a_plain_struct_passes() {
        // field 1: i32 2; field 2: list of 2 binaries "a", "bc"; field 3: true; stop.
        let footer = [
            0x15, 0x04, 0x19, 0x28, 0x01, b'a', 0x02, b'b', b'c', 0x11, 0x00,
        ];
        assert_eq!(check(&file(&footer)), Ok(()));
    }

    #[test]
    fn a_list_longer_than_the_footer_is_refused() {
        // field 1: a list of structs claiming 2^31 elements.
        let footer = [0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x00];
        let error = check(&file(&footer)).unwrap_err();
        assert!(error.contains("list of 2147483648 entries"), "{error}");
    }

    #[test]
    fn a_binary_longer_than_the_footer_is_refused() {
        let footer = [0x18, 0xff, 0xff, 0x03, b'x', 0x00];
        assert!(check(&file(&footer))
            .unwrap_err()
            .contains("65535-byte value"));
    }

    #[test]
    fn deep_nesting_and_truncation_are_refused() {
        let mut deep = vec![0x1c; 100]; // field 1: struct, 100 times
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
