//! The HWS response documents (import status, service request status, hello, error): any bytes, no
//! panic.
#![no_main]
use hws_client::wire::{ErrorDocument, HelloMessage, ImportStatus, ServiceRequestStatus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ImportStatus::from_xml(data);
    let _ = ServiceRequestStatus::from_xml(data);
    let _ = HelloMessage::from_xml(data);
    let _ = ErrorDocument::from_xml(data);
});
