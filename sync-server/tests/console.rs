//! The desk console's sessions, forms and rules over real HTTP on 127.0.0.1 (issue 15
//! items 1, 3, 4): a one-time code sets a password once; sign-in is for desk roles,
//! rate-limited, and makes an `HttpOnly`, `SameSite=Strict` session; every form needs
//! its token (CSRF) and a form without it changes nothing; a disabled person is signed
//! out on the next request, an expired session too, a signed-out cookie is dead; a
//! console cookie never works on `/v1` and a phone token never on `/console/`; the
//! queue and case page follow the API's read rules, redaction included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::*;
use gridwalk_model::hazard::Payload;
use gridwalk_model::protocol::RecordKind;
use gridwalk_server::admin;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

const PASSWORD: &str = "desk-password-2026";

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of cookie `name` in a response's `Set-Cookie` headers, and its line.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers.get_all(SET_COOKIE).iter().find_map(|v| {
        let line = v.to_str().unwrap().to_string();
        let value = line
            .strip_prefix(&format!("{name}="))?
            .split(';')
            .next()?
            .to_string();
        Some((value, line))
    })
}

/// The form token of a page made before sign-in: `(cookie value, hidden field)`.
async fn form_token(server: &TestServer, page: &str) -> (String, String) {
    let response = client().get(server.url(page)).send().await.unwrap();
    let (cookie, _) = set_cookie(response.headers(), "gw_form").unwrap();
    let html = response.text().await.unwrap();
    let field = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (cookie, field)
}

/// Sets a password with a one-time code; the response.
async fn set_password(server: &TestServer, code: &str, login: &str) -> reqwest::Response {
    let (cookie, token) = form_token(server, "/console/password").await;
    client()
        .post(server.url("/console/password"))
        .header(COOKIE, format!("gw_form={cookie}"))
        .form(&[
            ("csrf", token.as_str()),
            ("code", code),
            ("login", login),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

/// Tries to sign in; the response.
async fn try_sign_in(server: &TestServer, login: &str, password: &str) -> reqwest::Response {
    let (cookie, token) = form_token(server, "/console/signin").await;
    client()
        .post(server.url("/console/signin"))
        .header(COOKIE, format!("gw_form={cookie}"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// A signed-in desk person: their session cookie and the session's form token.
struct Desk {
    cookie: String,
    csrf: String,
}

/// Adds a person, sets their password and signs them in.
async fn desk(
    server: &TestServer,
    name: &str,
    role: &str,
    unit: &str,
    dept: Option<&str>,
    login: &str,
) -> Desk {
    let code = server.person(name, role, unit, dept);
    assert_eq!(set_password(server, &code, login).await.status(), 303);
    let response = try_sign_in(server, login, PASSWORD).await;
    assert_eq!(response.status(), 303, "{login} signs in");
    let (cookie, _) = set_cookie(response.headers(), "gw_session").unwrap();
    let page = get(server, &cookie, "/console/queue").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    Desk { cookie, csrf }
}

async fn get(server: &TestServer, cookie: &str, path: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .header(COOKIE, format!("gw_session={cookie}"))
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Posts an action form (multipart, as the browser sends it).
async fn act(
    server: &TestServer,
    desk: &Desk,
    case: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let boundary = "gridwalk-test-boundary";
    let mut body = String::new();
    for (name, value) in std::iter::once(&("csrf", csrf)).chain(fields) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    client()
        .post(server.url(&format!("/console/cases/{case}/act")))
        .header(COOKIE, format!("gw_session={}", desk.cookie))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A case reported by a grid worker's phone in Xinhua Grid 1; returns its id.
async fn reported_case(server: &TestServer, category: &str, item: &str, text: &str) -> String {
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let case = new_id();
    let report = hazard_event(
        &case,
        &worker,
        Utc::now().timestamp_millis(),
        &[],
        reported(category, item, "site-a", "g-xinhua-1", text, vec![]),
    );
    let results = server.push(&worker, &[report]).await;
    assert_eq!(results[0]["status"], "accepted", "{results:?}");
    case
}

async fn queue_html(server: &TestServer, desk: &Desk) -> String {
    get(server, &desk.cookie, "/console/queue")
        .await
        .text()
        .await
        .unwrap()
}

async fn case_page(server: &TestServer, desk: &Desk, case: &str) -> reqwest::Response {
    get(server, &desk.cookie, &format!("/console/cases/{case}")).await
}

fn hazard_events(server: &TestServer) -> usize {
    server
        .state
        .store
        .records_of_kind(RecordKind::HazardEvent)
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_code_sets_a_password_once_and_only_desk_roles_sign_in() {
    let server = TestServer::start().await;
    let code = server.person("Chen Jie", "street-officer", "s-hehua", None);
    let set = set_password(&server, &code, "chen.jie").await;
    assert_eq!(set.status(), 303);
    assert_eq!(location(&set), "/console/signin?why=password-set");
    // The code is used up, for the console as for a phone.
    assert_eq!(
        set_password(&server, &code, "chen.jie2").await.status(),
        401
    );
    let enrol = server
        .client
        .post(server.url("/v1/enrol"))
        .json(&serde_json::json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        enrol.status(),
        401,
        "a code used by the console enrols no phone"
    );

    assert_eq!(
        try_sign_in(&server, "chen.jie", "wrong password")
            .await
            .status(),
        401
    );
    let ok = try_sign_in(&server, "Chen.Jie", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/console/queue");
    let (_, line) = set_cookie(ok.headers(), "gw_session").unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(line.contains(attribute), "{line}");
    }

    // A grid worker works on the phone.
    let worker = server.person("Li Na", "grid-worker", "g-xinhua-1", None);
    assert_eq!(set_password(&server, &worker, "li.na").await.status(), 303);
    assert_eq!(try_sign_in(&server, "li.na", PASSWORD).await.status(), 403);
    // Someone else's sign-in name is not taken over.
    let other = server.person("Chen Jie", "street-officer", "s-niushi", None);
    assert_eq!(
        set_password(&server, &other, "chen.jie").await.status(),
        409
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_name() {
    let server = TestServer::start().await;
    let code = server.person("Chen Jie", "street-officer", "s-hehua", None);
    set_password(&server, &code, "chen.jie").await;
    for _ in 0..5 {
        assert_eq!(
            try_sign_in(&server, "chen.jie", "guess").await.status(),
            401
        );
    }
    // The sixth try is refused before the password is looked at, right or not.
    let refused = try_sign_in(&server, "chen.jie", PASSWORD).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
}

#[tokio::test]
async fn forms_without_their_token_change_nothing() {
    let server = TestServer::start().await;
    let case = reported_case(&server, "fire", "fire-01", "exit blocked").await;
    let staff = desk(
        &server,
        "Zhao Min",
        "community-staff",
        "c-xinhua",
        None,
        "zhao.min",
    )
    .await;

    // Sign-in without the form cookie, or with another token.
    let no_cookie = client()
        .post(server.url("/console/signin"))
        .form(&[("csrf", "x"), ("login", "zhao.min"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 403);

    // An action with a wrong token or none: refused, nothing stored.
    let before = hazard_events(&server);
    let call_in = [("action", "called-in"), ("level", "street"), ("note", "x")];
    assert_eq!(
        act(&server, &staff, &case, "forged", &call_in)
            .await
            .status(),
        403
    );
    assert_eq!(
        act(&server, &staff, &case, "", &call_in).await.status(),
        403
    );
    assert_eq!(hazard_events(&server), before);
    // With the session's token it is recorded.
    let done = act(&server, &staff, &case, &staff.csrf, &call_in).await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).ends_with("?done=1"), "{}", location(&done));
    assert_eq!(hazard_events(&server), before + 1);

    // Sign-out with a wrong token keeps the session; with the right one ends it.
    let signout = |csrf: String| {
        client()
            .post(server.url("/console/signout"))
            .header(COOKIE, format!("gw_session={}", staff.cookie))
            .form(&[("csrf", csrf)])
            .send()
    };
    assert_eq!(signout("forged".into()).await.unwrap().status(), 403);
    assert_eq!(
        get(&server, &staff.cookie, "/console/queue").await.status(),
        200
    );
    assert_eq!(signout(staff.csrf.clone()).await.unwrap().status(), 303);
    let after = get(&server, &staff.cookie, "/console/queue").await;
    assert_eq!(after.status(), 303);
    assert_eq!(
        location(&after),
        "/console/signin",
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn a_disabled_person_is_signed_out_on_the_next_request_and_sessions_expire() {
    let server = TestServer::start().await;
    let code = server.person("Chen Jie", "street-officer", "s-hehua", None);
    set_password(&server, &code, "chen.jie").await;
    let session = |r: reqwest::Response| set_cookie(r.headers(), "gw_session").unwrap().0;
    let cookie = session(try_sign_in(&server, "chen.jie", PASSWORD).await);
    assert_eq!(get(&server, &cookie, "/console/queue").await.status(), 200);
    let person = server.state.store.people().unwrap()[0].id.clone();
    admin::set_person_disabled(server.state.store.as_ref(), &person, true, Utc::now()).unwrap();
    let out = get(&server, &cookie, "/console/dashboard").await;
    assert_eq!(location(&out), "/console/signin?why=disabled");
    assert_eq!(
        try_sign_in(&server, "chen.jie", PASSWORD).await.status(),
        303
    );
    admin::set_person_disabled(server.state.store.as_ref(), &person, false, Utc::now()).unwrap();
    // The session ended with the disabling; enabling does not bring it back.
    assert_eq!(
        location(&get(&server, &cookie, "/console/queue").await),
        "/console/signin"
    );

    // A session past its expiry (as stored) is refused and ended.
    let cookie = session(try_sign_in(&server, "chen.jie", PASSWORD).await);
    assert_eq!(get(&server, &cookie, "/console/queue").await.status(), 200);
    let SqlOutcome::Changed(changed) = server.sql(
        "UPDATE console_sessions SET expires_at = '2020-01-01T00:00:00.000Z'",
        &[],
    ) else {
        panic!("an UPDATE answers how many rows it changed");
    };
    assert!(changed >= 1);
    assert_eq!(
        location(&get(&server, &cookie, "/console/queue").await),
        "/console/signin?why=expired"
    );
}

#[tokio::test]
async fn console_sessions_and_phone_tokens_never_stand_for_each_other() {
    let server = TestServer::start().await;
    let staff = desk(
        &server,
        "Zhao Min",
        "community-staff",
        "c-xinhua",
        None,
        "zhao.min",
    )
    .await;
    // The console cookie on the sync protocol, as a cookie or as a bearer token.
    let as_cookie = server
        .client
        .get(server.url("/v1/pull?cursor=0"))
        .header(COOKIE, format!("gw_session={}", staff.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(as_cookie.status(), 401);
    let as_bearer = server
        .client
        .get(server.url("/v1/pull?cursor=0"))
        .bearer_auth(&staff.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), 401);
    // A phone's token on the console.
    let phone = server
        .device("Zhao Min", "community-staff", "c-xinhua", None)
        .await;
    let console = client()
        .get(server.url("/console/queue"))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 303);
    assert_eq!(location(&console), "/console/signin");
}

#[tokio::test]
async fn the_queue_and_case_page_follow_the_apis_read_rules_with_redaction() {
    let server = TestServer::start().await;
    let fire = reported_case(&server, "fire", "fire-01", "exit blocked").await;
    let personal = reported_case(
        &server,
        "key-groups",
        "key-groups-01",
        "Mr Wang on the 3rd floor lives alone",
    )
    .await;
    let staff = desk(
        &server,
        "Zhao Min",
        "community-staff",
        "c-xinhua",
        None,
        "zhao.min",
    )
    .await;
    let outsider = desk(
        &server,
        "Sun Yu",
        "community-staff",
        "c-dongguang",
        None,
        "sun.yu",
    )
    .await;
    let supervisor = desk(&server, "Ma Li", "supervisor", "jinjiang", None, "ma.li").await;
    let fire_dept = desk(
        &server,
        "Wu Gang",
        "department-officer",
        "jinjiang",
        Some("fire-rescue"),
        "wu.gang",
    )
    .await;

    let staff_queue = queue_html(&server, &staff).await;
    assert!(staff_queue.contains(&fire) && staff_queue.contains(&personal));
    let outsider_queue = queue_html(&server, &outsider).await;
    assert!(!outsider_queue.contains(&fire) && !outsider_queue.contains(&personal));
    // Not assigned to the fire brigade yet: not theirs to see.
    let dept_queue = queue_html(&server, &fire_dept).await;
    assert!(!dept_queue.contains(&fire));
    assert_eq!(case_page(&server, &outsider, &fire).await.status(), 404);
    assert_eq!(case_page(&server, &fire_dept, &fire).await.status(), 404);
    // Nor to act on, whatever the form says.
    let comment = [("action", "comment"), ("note", "mine now")];
    assert_eq!(
        act(&server, &outsider, &fire, &outsider.csrf, &comment)
            .await
            .status(),
        404
    );

    // Personal details reach community staff, not the supervisor.
    let full = case_page(&server, &staff, &personal)
        .await
        .text()
        .await
        .unwrap();
    assert!(full.contains("Mr Wang on the 3rd floor"));
    let redacted = case_page(&server, &supervisor, &personal).await;
    assert_eq!(redacted.status(), 200);
    let redacted = redacted.text().await.unwrap();
    assert!(
        !redacted.contains("Mr Wang"),
        "the supervisor sees it redacted"
    );
    assert!(redacted.contains("个人信息已隐去"));

    // Once the street assigns the fire brigade, the case is theirs to see and work.
    let street_phone = server
        .device("Chen Jie", "street-officer", "s-hehua", None)
        .await;
    let now = Utc::now().timestamp_millis();
    let events = server.state.store.case_records(&fire).unwrap();
    let report: serde_json::Value = serde_json::from_str(&events[0].body).unwrap();
    let report = serde_json::json!({"id": report["id"]});
    let call_in = hazard_event(
        &fire,
        &street_phone,
        now + 1,
        &[&report],
        Payload::CalledIn {
            level: gridwalk_model::hazard::Level::Street,
            note: "ours".into(),
        },
    );
    let assign = hazard_event(
        &fire,
        &street_phone,
        now + 2,
        &[&call_in["body"]],
        Payload::Assigned {
            department: "fire-rescue".into(),
            note: "please".into(),
        },
    );
    let results = server.push(&street_phone, &[call_in, assign]).await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );
    assert!(queue_html(&server, &fire_dept).await.contains(&fire));
    let theirs = case_page(&server, &fire_dept, &fire)
        .await
        .text()
        .await
        .unwrap();
    assert!(theirs.contains("data-action=\"accepted\""), "{theirs}");
    let accepted = act(
        &server,
        &fire_dept,
        &fire,
        &fire_dept.csrf,
        &[("action", "accepted"), ("note", "on our way")],
    )
    .await;
    assert_eq!(accepted.status(), 303);
    // An action the rules refuse is shown with the rule and stores nothing.
    let before = hazard_events(&server);
    let refused = act(
        &server,
        &fire_dept,
        &fire,
        &fire_dept.csrf,
        &[("action", "verified"), ("passed", "yes"), ("note", "fine")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains("verify-by-independent-inspector"), "{text}");
    assert_eq!(hazard_events(&server), before);
}

#[tokio::test]
async fn exports_are_the_report_and_the_filtered_queue_as_csv() {
    let server = TestServer::start().await;
    let fire = reported_case(&server, "fire", "fire-01", "exit blocked").await;
    let traffic = reported_case(&server, "traffic", "traffic-01", "=cmd|' /C calc'!A0").await;
    let staff = desk(
        &server,
        "Zhao Min",
        "community-staff",
        "c-xinhua",
        None,
        "zhao.min",
    )
    .await;
    let report = get(&server, &staff.cookie, "/console/export/report.csv").await;
    assert_eq!(report.status(), 200);
    assert_eq!(report.headers()["content-type"], "text/csv; charset=utf-8");
    let text = report.text().await.unwrap();
    let expected =
        admin::campaign_report(server.state.store.as_ref(), Utc::now().timestamp_millis())
            .unwrap()
            .to_csv()
            .unwrap();
    assert_eq!(text.strip_prefix('\u{feff}'), Some(expected.as_str()));

    let all = get(&server, &staff.cookie, "/console/export/cases.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(all.contains(&fire) && all.contains(&traffic), "{all}");
    let only_fire = get(
        &server,
        &staff.cookie,
        "/console/export/cases.csv?category=fire",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(only_fire.contains(&fire) && !only_fire.contains(&traffic));
    assert_eq!(only_fire.lines().count(), 2, "a header and one case");
}
