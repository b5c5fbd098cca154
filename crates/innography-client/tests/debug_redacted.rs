//! `Debug` of every type holding the Innography HMAC secret is redacted (issue 14): the secret,
//! the credentials, the signer, the client's configuration and the client.

use innography_client::{Client, Config};
use innography_hmac::{Algorithm, Credentials, Secret, Signer};

const SECRET: &str = "74f43da743aa47c3a90a9c5ef493bc8d";

#[test]
fn debug_of_every_secret_holding_type_is_redacted() {
    let creds = Credentials::new("obiwan", Secret::new(SECRET)).expect("credentials");
    let signer = Signer::new(&creds, Algorithm::HmacSha256);
    let config = Config::new("http://127.0.0.1:9/", creds.clone());
    let client = Client::new(config.clone()).expect("client");
    for (what, text) in [
        ("Secret", format!("{:?}", creds.secret())),
        ("Credentials", format!("{creds:?}")),
        ("Signer", format!("{signer:?}")),
        ("Config", format!("{config:?}")),
        ("Client", format!("{client:?}")),
    ] {
        // Any 8 characters of the secret would be a leak; the test checks every window.
        for w in 0..=SECRET.len() - 8 {
            assert!(
                !text.contains(&SECRET[w..w + 8]),
                "{what} Debug shows part of the secret: {text}"
            );
        }
        assert!(
            text.contains("redacted"),
            "{what} Debug says it hid something: {text}"
        );
    }
}
