//! A faithful local emulator of WIPO's Hague Web Services, WIPO's OIDC login (FAPI 1.0
//! `private_key_jwt`) and the Innography API.

pub mod publication;
