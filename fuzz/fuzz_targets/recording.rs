#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The reader contains polars' panics on damaged pages (catch_unwind);
        // libFuzzer's hook would abort on them anyway. A panic that escapes
        // the reader still reaches libFuzzer as a crash.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| firedrill::fuzzing::recording(data)
);
