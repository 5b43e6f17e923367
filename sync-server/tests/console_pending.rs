//! A photo whose full file has not reached the server (issue 13 item 3): a phone sent its
//! records and the photo's thumbnail first. The console's case page shows it by its
//! thumbnail marked "原图上传中" (full photo pending), served only to whoever may see the
//! photo, and `gridwalk-server case` says the same; once the full photo arrives, the
//! page shows the photo itself.

use crate::common;

use chrono::Utc;
use common::*;
use reqwest::header::{COOKIE, SET_COOKIE};

const PASSWORD: &str = "desk-password-2026";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of cookie `name` in a response's `Set-Cookie` headers.
fn cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .find_map(|v| {
            v.to_str()
                .unwrap()
                .strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap().to_string())
        })
        .unwrap()
}

/// Posts a pre-sign-in form of `page` with its token.
async fn post_form(server: &TestServer, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let response = client().get(server.url(page)).send().await.unwrap();
    let form = cookie(&response, "gw_form");
    let html = response.text().await.unwrap();
    let token = html.split("name=\"csrf\" value=\"").nth(1).unwrap();
    let token = token.split('"').next().unwrap().to_string();
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    client()
        .post(server.url(page))
        .header(COOKIE, format!("gw_form={form}"))
        .form(&all)
        .send()
        .await
        .unwrap()
}

/// Adds a desk person and signs them in; their session cookie.
async fn sign_in(server: &TestServer, name: &str, role: &str, unit: &str, login: &str) -> String {
    let code = server.person(name, role, unit, None);
    let set = post_form(
        server,
        "/console/password",
        &[
            ("code", &code),
            ("login", login),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ],
    )
    .await;
    assert_eq!(set.status(), 303);
    let signed = post_form(
        server,
        "/console/signin",
        &[("login", login), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(signed.status(), 303);
    cookie(&signed, "gw_session")
}

async fn get(server: &TestServer, session: &str, path: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .header(COOKIE, format!("gw_session={session}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_photo_whose_thumbnail_came_first_shows_as_pending_until_it_arrives() {
    let server = TestServer::start().await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let photo = b"\xff\xd8\xff\xe0 the full photo of the blocked exit".to_vec();
    let thumbnail = b"\xff\xd8\xff\xe0 its thumbnail".to_vec();
    let sha = sha256(&photo);
    let case = new_id();
    let report = hazard_event(
        &case,
        &worker,
        Utc::now().timestamp_millis(),
        &[],
        reported(
            "fire",
            "fire-02",
            "site-a",
            "g-xinhua-1",
            "exit blocked",
            vec![sha.clone()],
        ),
    );
    assert_eq!(
        server.push(&worker, &[report]).await[0]["status"],
        "accepted"
    );
    upload_thumbnail(&server, &worker, &thumbnail, &sha).await;

    let staff = sign_in(
        &server,
        "Wang Fang",
        "community-staff",
        "c-xinhua",
        "wangfang",
    )
    .await;
    let page = get(&server, &staff, &format!("/console/cases/{case}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("原图上传中"), "pending is shown: {html}");
    assert!(html.contains(&format!("/console/photos/{sha}/thumbnail")));
    assert!(!html.contains(&format!("href=\"/console/photos/{sha}\"")));
    let shown = get(&server, &staff, &format!("/console/photos/{sha}/thumbnail")).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.bytes().await.unwrap().to_vec(), thumbnail);
    assert_eq!(
        get(&server, &staff, &format!("/console/photos/{sha}"))
            .await
            .status(),
        404,
        "no full photo yet"
    );
    // Someone of another area sees neither.
    let other = sign_in(
        &server,
        "Zhao Lei",
        "community-staff",
        "c-dongguang",
        "zhaolei",
    )
    .await;
    assert_eq!(
        get(&server, &other, &format!("/console/photos/{sha}/thumbnail"))
            .await
            .status(),
        404
    );
    // The terminal's case view says it too.
    let view = gridwalk_server::export::case_view(
        server.state.store.as_ref(),
        server.state.blobs.as_ref(),
        &case,
        Utc::now(),
    )
    .unwrap();
    let warning = view
        .warnings
        .iter()
        .find(|w| w.subject == sha)
        .expect("a warning on the photo");
    assert!(
        warning
            .detail
            .starts_with(gridwalk_server::export::PHOTO_PENDING),
        "{warning:?}"
    );

    // The full photo arrives: the page shows it, no longer pending.
    upload(&server, &worker, &photo).await;
    let html = get(&server, &staff, &format!("/console/cases/{case}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("原图上传中"), "still pending: {html}");
    assert!(html.contains(&format!("href=\"/console/photos/{sha}\"")));
}
