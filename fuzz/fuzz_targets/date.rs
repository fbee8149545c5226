//! Date parsing: any text either parses to a valid date that formats back and re-parses to
//! itself, or is an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcore::data::Date;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(date) = Date::parse(text) {
        let (year, month, day) = date.to_ymd();
        let again = Date::from_ymd(year, month, day).expect("a parsed date is a valid date");
        assert_eq!(again, date);
        assert_eq!(
            Date::from_days_since_epoch(date.days_since_epoch()).ok(),
            Some(date)
        );
        let iso = format!("{year:04}-{month:02}-{day:02}");
        if year >= 0 {
            assert_eq!(Date::parse(&iso).ok(), Some(date), "{iso}");
        }
    }
});
