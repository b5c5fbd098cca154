//! [`Root`](crate::Root) for each generated document root.

/// Implements [`Root`](crate::Root) for generated root types.
macro_rules! roots {
    ($( $ty:path => ($ns:expr, $local:literal, $qname:literal), )*) => {
        $(
            impl crate::document::Root for $ty {
                const LOCAL_NAME: &'static str = $local;
                const NAMESPACE: &'static str = $ns;
                const QNAME: &'static str = $qname;
                fn st96_version(&self) -> &str {
                    &self.st_96_version
                }
                fn parse_checked(bytes: &[u8]) -> Result<Self, crate::Error> {
                    crate::document::parse_in_big_stack(bytes)
                }
            }
        )*
    };
}

#[cfg(feature = "hague")]
roots! {
    crate::v6::hague::dgn::HagueOfficeToIbTransactionType =>
        (crate::detect::DESIGN_NS, "HagueOfficeToIBTransaction", "dgn:HagueOfficeToIBTransaction"),
    crate::v6::hague::dgn::HagueIbToOfficeTransactionType =>
        (crate::detect::DESIGN_NS, "HagueIBToOfficeTransaction", "dgn:HagueIBToOfficeTransaction"),
}

#[cfg(feature = "design")]
roots! {
    crate::v6::design::dgn::DesignApplicationType =>
        (crate::detect::DESIGN_NS, "DesignApplication", "dgn:DesignApplication"),
    crate::v6::design::dgn::DesignTransactionType =>
        (crate::detect::DESIGN_NS, "DesignTransaction", "dgn:DesignTransaction"),
}
