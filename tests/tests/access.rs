//! A lost phone shut out, as the device sees it: after an admin revokes the device or
//! disables its person, the core's sync returns `Unauthorised` with the server's
//! reason, keeps what is still to send, and syncs again once the person is enabled.

use chrono::Utc;
use gridwalk_core::CoreError;
use gridwalk_core::inspection::InspectionKind;
use gridwalk_core::sync;
use gridwalk_e2e::*;
use gridwalk_server::admin;

const BIN: &str = env!("CARGO_BIN_EXE_e2e-server");

/// The server's message when a sync is refused as unauthorised.
async fn refusal(device: &Device) -> String {
    match device.sync().await {
        Err(CoreError::Unauthorised { message }) => message,
        other => panic!("{}: expected Unauthorised, got {other:?}", device.name),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_or_disabled_device_is_told_why_and_keeps_its_records() {
    let server = Server::start(BIN);
    let url = server.url();
    let code = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    let phone = Device::new("phone");
    let enrolment = sync::enroll_with(&phone.shared(), &url, &code, &test_options())
        .await
        .unwrap();
    let store = server.admin_store();
    let person = person_of(store.as_ref(), &enrolment.device_id);
    let tablet_code = admin::reissue_code(store.as_ref(), &person, Utc::now())
        .unwrap()
        .enrolment_code;
    let tablet = Device::new("tablet");
    tablet.enroll(&url, &tablet_code).await;
    phone.inspect("site-a", InspectionKind::Routine, &[]);
    phone.sync_until_clean(3).await;

    // The phone is lost: revoked while the server runs.
    admin::revoke_device(store.as_ref(), &enrolment.device_id, Utc::now()).unwrap();
    let pending = phone.inspect("site-a", InspectionKind::Routine, &[]);
    let message = refusal(&phone).await;
    assert!(message.contains("this device was revoked"), "{message}");
    assert!(!phone.nothing_to_send(), "the record stays on the phone");
    assert!(phone.store().inspection(&pending).is_ok());
    // The tablet of the same person still syncs.
    tablet.inspect("site-a", InspectionKind::Routine, &[]);
    tablet.sync_until_clean(3).await;

    // The person disabled: the tablet is refused too, and syncs again once enabled.
    admin::set_person_disabled(store.as_ref(), &person, true, Utc::now()).unwrap();
    tablet.inspect("site-a", InspectionKind::Routine, &[]);
    let message = refusal(&tablet).await;
    assert!(message.contains("this person is disabled"), "{message}");
    admin::set_person_disabled(store.as_ref(), &person, false, Utc::now()).unwrap();
    tablet.sync_until_clean(3).await;
    let message = refusal(&phone).await;
    assert!(message.contains("revoked"), "still revoked: {message}");
}

/// The id of the person a device belongs to.
fn person_of(store: &dyn gridwalk_server::storage::RecordStore, device: &str) -> String {
    admin::list_devices(store, None, Utc::now())
        .unwrap()
        .devices
        .into_iter()
        .find(|d| d.id == device)
        .unwrap()
        .person
}
