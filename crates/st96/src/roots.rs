//! [`Root`](crate::Root) for each generated document root.

#[cfg(feature = "hague")]
mod hague {
    use crate::detect::DESIGN_NS;
    use crate::document::Root;
    use crate::v6::hague::dgn::{HagueIbToOfficeTransactionType, HagueOfficeToIbTransactionType};

    impl Root for HagueOfficeToIbTransactionType {
        const LOCAL_NAME: &'static str = "HagueOfficeToIBTransaction";
        const NAMESPACE: &'static str = DESIGN_NS;
        const QNAME: &'static str = "dgn:HagueOfficeToIBTransaction";
        fn st96_version(&self) -> &str {
            &self.st_96_version
        }
        fn parse_checked(bytes: &[u8]) -> Result<Self, crate::Error> {
            crate::document::parse_in_big_stack(bytes)
        }
    }

    impl Root for HagueIbToOfficeTransactionType {
        const LOCAL_NAME: &'static str = "HagueIBToOfficeTransaction";
        const NAMESPACE: &'static str = DESIGN_NS;
        const QNAME: &'static str = "dgn:HagueIBToOfficeTransaction";
        fn st96_version(&self) -> &str {
            &self.st_96_version
        }
        fn parse_checked(bytes: &[u8]) -> Result<Self, crate::Error> {
            crate::document::parse_in_big_stack(bytes)
        }
    }
}
