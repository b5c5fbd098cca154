//! WIPO Standard ST.3 two-letter codes (states, other entities and intergovernmental organisations).
//!
//! The list is the ISO 3166-1 alpha-2 country codes plus the ST.3 codes of organisations
//! (`AP` ARIPO, `BX` Benelux Office for IP, `EA` Eurasian Patent Organization, `EM` EUIPO, `EP` EPO,
//! `EU` European Union, `GC` GCC Patent Office, `IB` International Bureau of WIPO, `OA` OAPI,
//! `QZ` CPVO, `WO` WIPO, `XN` Nordic Patent Institute, `XU` UPOV, `XV` Visegrad Patent Institute,
//! `XX` unknown state/organisation).

const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

const ORGANISATIONS: &str = "AP BX EA EM EP EU GC IB OA QZ WO XN XU XV XX";

/// `true` if `code` is a two-letter WIPO ST.3 code (upper case, as ST.96 requires).
///
/// ```
/// assert!(hague_package::is_st3_code("KR"));
/// assert!(hague_package::is_st3_code("WO"));
/// assert!(!hague_package::is_st3_code("ZZ"));
/// assert!(!hague_package::is_st3_code("kr"));
/// ```
pub fn is_st3_code(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && (COUNTRIES.split(' ').any(|c| c == code) || ORGANISATIONS.split(' ').any(|c| c == code))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn list_has_every_iso_code_once() {
        let all: Vec<&str> = COUNTRIES.split(' ').collect();
        assert_eq!(all.len(), 249);
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 249);
    }

    #[test]
    fn organisations_and_countries() {
        for c in [
            "EM", "EP", "IB", "OA", "AP", "BX", "EA", "GC", "QZ", "XN", "XV", "XU", "CH", "US",
        ] {
            assert!(is_st3_code(c), "{c}");
        }
        for c in ["", "K", "KRR", "ZZ", "UK", "k1"] {
            assert!(!is_st3_code(c), "{c}");
        }
    }
}
