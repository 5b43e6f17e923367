//! The desk console's sessions, forms and rules over real HTTP on 127.0.0.1 (issue 15
//! items 1, 3, 4): a one-time code sets a password once; sign-in is for desk roles,
//! rate-limited, and makes an `HttpOnly`, `SameSite=Strict` session; every form needs
//! its token (CSRF) and a form without it changes nothing; a disabled person is signed
//! out on the next request, an expired session too, a signed-out cookie is dead; a
//! console cookie never works on `/v1` and a phone token never on `/console/`; the
//! queue and case page follow the API's read rules, redaction included; a spot-check
//! plan is drawn again from its seed and reaches only its supervisor's phone; the
//! discrepancy view counts what spot checks found that routine rounds marked ok.

use crate::common;

use chrono::Utc;
use common::*;
use gridwalk_model::hazard::Payload;
use gridwalk_model::inspection::{InspectionKind, InspectionStatus, Outcome};
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

/// The `data-site` attributes of a planner page's sample, in order.
fn sample_sites(html: &str) -> Vec<String> {
    html.split("<tr data-site=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// The number in the first element carrying `attrs` (e.g. `data-grid="g" data-col="missed"`).
fn cell(html: &str, attrs: &str) -> u32 {
    html.split(attrs)
        .nth(1)
        .unwrap_or_else(|| panic!("no cell {attrs}"))
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The draft inspections stored.
fn drafts(server: &TestServer) -> Vec<String> {
    server
        .state
        .store
        .records_of_kind(RecordKind::Inspection)
        .unwrap()
        .into_iter()
        .filter(|r| r.draft)
        .map(|r| r.id)
        .collect()
}

#[tokio::test]
async fn a_spot_check_plan_is_reproducible_and_reaches_only_the_supervisors_own_devices() {
    let server = TestServer::start().await;
    let supervisor = desk(&server, "Zhao Min", "supervisor", "jinjiang", None, "zhao").await;
    let worker = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let community = server
        .device("Wang Fang", "community-staff", "c-xinhua", None)
        .await;
    let other_supervisor = server
        .device("Qian Hao", "supervisor", "jinjiang", None)
        .await;

    // The same seed draws the same sites; the page shows the seed it drew with.
    let preview = "/console/spot-checks?area=jinjiang&count=2&seed=20261130&sensitive=1";
    let first = get(&server, &supervisor.cookie, preview)
        .await
        .text()
        .await
        .unwrap();
    let again = get(&server, &supervisor.cookie, preview)
        .await
        .text()
        .await
        .unwrap();
    let drawn = sample_sites(&first);
    assert_eq!(drawn.len(), 2, "{first}");
    assert_eq!(sample_sites(&again), drawn);
    assert!(first.contains("<span id=\"seed-shown\">20261130</span>"));
    // Without a seed, one is drawn and shown, and entering it again redraws the same.
    let fresh = get(
        &server,
        &supervisor.cookie,
        "/console/spot-checks?area=jinjiang&count=2",
    )
    .await
    .text()
    .await
    .unwrap();
    let seed = fresh
        .split("<span id=\"seed-shown\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let redrawn = get(
        &server,
        &supervisor.cookie,
        &format!("/console/spot-checks?area=jinjiang&count=2&seed={seed}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(sample_sites(&redrawn), sample_sites(&fresh));

    // Only supervisors and admins plan.
    let staff = desk(
        &server,
        "Sun Li",
        "community-staff",
        "c-xinhua",
        None,
        "sunli",
    )
    .await;
    assert_eq!(
        get(&server, &staff.cookie, "/console/spot-checks")
            .await
            .status(),
        404
    );

    // A plan without the form's token changes nothing.
    let nonce = form_nonce(&first);
    let plan_form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("nonce", nonce.clone()),
            ("area", "jinjiang".to_string()),
            ("count", "2".to_string()),
            ("seed", "20261130".to_string()),
            ("sensitive", "1".to_string()),
        ]
    };
    let forged = client()
        .post(server.url("/console/spot-checks"))
        .header(COOKIE, format!("gw_session={}", supervisor.cookie))
        .form(&plan_form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(drafts(&server).is_empty());

    let planned = client()
        .post(server.url("/console/spot-checks"))
        .header(COOKIE, format!("gw_session={}", supervisor.cookie))
        .form(&plan_form(&supervisor.csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(planned.status(), 200);
    let page = planned.text().await.unwrap();
    assert!(page.contains("id=\"planned\""), "{page}");
    let plans = drafts(&server);
    assert_eq!(plans.len(), 2);
    // The planned visits are the previewed sites.
    let mut planned_sites: Vec<String> = server
        .state
        .store
        .records_of_kind(RecordKind::Inspection)
        .unwrap()
        .into_iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["site_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    planned_sites.sort();
    let mut previewed = drawn.clone();
    previewed.sort();
    assert_eq!(planned_sites, previewed);

    // The inspected area's phones and another supervisor pull nothing of it, through
    // the real server.
    for device in [&worker, &community, &other_supervisor] {
        let pulled = ids(&server.pull_all(device).await);
        assert!(
            plans.iter().all(|p| !pulled.contains(p)),
            "{} must not learn of the plan",
            device.name
        );
    }
    // The supervisor's own phone pulls it.
    let people = server.state.store.people().unwrap();
    let zhao = people.iter().find(|p| p.name == "Zhao Min").unwrap();
    let code = admin::reissue_code(server.state.store.as_ref(), &zhao.id, Utc::now())
        .unwrap()
        .enrolment_code;
    let phone = server.enrol(&code).await;
    let pulled = ids(&server.pull_all(&phone).await);
    assert!(plans.iter().all(|p| pulled.contains(p)), "{pulled:?}");
    server.stop().await;
}

/// The one-time nonce of a planner page's plan form.
fn form_nonce(html: &str) -> String {
    html.split("name=\"nonce\" value=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no plan form: {html}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_plan_form_sent_twice_or_at_once_plans_the_visits_once() {
    let server = TestServer::start().await;
    let supervisor = desk(&server, "Zhao Min", "supervisor", "jinjiang", None, "zhao").await;
    let preview = "/console/spot-checks?area=jinjiang&count=2&seed=7";
    let form = |nonce: &str| {
        vec![
            ("csrf", supervisor.csrf.clone()),
            ("nonce", nonce.to_string()),
            ("area", "jinjiang".to_string()),
            ("count", "2".to_string()),
            ("seed", "7".to_string()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        client()
            .post(server.url("/console/spot-checks"))
            .header(COOKIE, format!("gw_session={}", supervisor.cookie))
            .form(&fields)
            .send()
    };
    let page = get(&server, &supervisor.cookie, preview)
        .await
        .text()
        .await
        .unwrap();
    let nonce = form_nonce(&page);

    // A double click: the second POST of the same form plans nothing and says so.
    let first = post(form(&nonce)).await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.text().await.unwrap().contains("id=\"planned\""));
    assert_eq!(drafts(&server).len(), 2);
    let again = post(form(&nonce)).await.unwrap();
    assert_eq!(again.status(), 200);
    let again = again.text().await.unwrap();
    assert!(again.contains("id=\"already-planned\""), "{again}");
    assert!(!again.contains("id=\"planned\""));
    assert_eq!(drafts(&server).len(), 2, "planned once");

    // Two POSTs of one form at the same moment (a retry racing the original).
    let page = get(&server, &supervisor.cookie, preview)
        .await
        .text()
        .await
        .unwrap();
    let nonce = form_nonce(&page);
    let (a, b) = tokio::join!(post(form(&nonce)), post(form(&nonce)));
    let (a, b) = (
        a.unwrap().text().await.unwrap(),
        b.unwrap().text().await.unwrap(),
    );
    let planned = [&a, &b]
        .iter()
        .filter(|p| p.contains("id=\"planned\""))
        .count();
    assert_eq!(planned, 1, "exactly one of the two plans");
    assert_eq!(drafts(&server).len(), 4);

    // A made-up nonce, or another person's, plans nothing.
    let forged = post(form("made-up")).await.unwrap();
    assert_eq!(forged.status(), 400);
    let admin_desk = desk(&server, "Gao Yi", "admin", "jinjiang", None, "gao").await;
    let theirs = form_nonce(
        &get(&server, &admin_desk.cookie, preview)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(post(form(&theirs)).await.unwrap().status(), 400);
    assert_eq!(drafts(&server).len(), 4);
    server.stop().await;
}

/// A submitted inspection at `site`, every applicable item `ok` but `hazard_item`
/// (a hazard, when given), made `days_ago` days ago.
fn visit(
    site: &str,
    kind: InspectionKind,
    hazard_item: Option<&str>,
    days_ago: i64,
) -> serde_json::Value {
    let mut inspection = inspection(
        &new_id(),
        site,
        kind,
        InspectionStatus::Submitted,
        None,
        None,
    );
    let at = (Utc::now() - chrono::Duration::days(days_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    inspection.started_at = at.clone();
    inspection.submitted_at = Some(at);
    for answer in &mut inspection.answers {
        if Some(answer.item.as_str()) != hazard_item {
            answer.outcome = Outcome::Ok;
            answer.note = None;
            answer.photos.clear();
        }
    }
    item(&inspection)
}

#[tokio::test]
async fn discrepancies_count_spot_check_hazards_a_routine_round_had_marked_ok() {
    let server = TestServer::start().await;
    let desk_supervisor = desk(&server, "Zhao Min", "supervisor", "c-xinhua", None, "zhao").await;
    let li = server
        .device("Li Na", "grid-worker", "g-xinhua-1", None)
        .await;
    let wu = server
        .device("Wu Gang", "grid-worker", "g-xinhua-2", None)
        .await;
    let spotter = server
        .device("Qian Hao", "supervisor", "c-xinhua", None)
        .await;
    // Li Na marked everything ok at site A three days ago; Wu Gang at site B twenty.
    for (device, site, days) in [(&li, "site-a", 3), (&wu, "site-b", 20)] {
        let results = server
            .push(device, &[visit(site, InspectionKind::Routine, None, days)])
            .await;
        assert_eq!(results[0]["status"], "accepted", "{results:?}");
    }
    // Today's spot checks find a fire hazard at both.
    for site in ["site-a", "site-b"] {
        let results = server
            .push(
                &spotter,
                &[visit(site, InspectionKind::SpotCheck, Some("fire-01"), 0)],
            )
            .await;
        assert_eq!(results[0]["status"], "accepted", "{results:?}");
    }
    let html = get(&server, &desk_supervisor.cookie, "/console/discrepancies")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        cell(&html, "data-grid=\"g-xinhua-1\" data-col=\"found\""),
        1
    );
    assert_eq!(
        cell(&html, "data-grid=\"g-xinhua-1\" data-col=\"missed\""),
        1
    );
    assert_eq!(
        cell(&html, "data-grid=\"g-xinhua-2\" data-col=\"found\""),
        1
    );
    assert_eq!(
        cell(&html, "data-grid=\"g-xinhua-2\" data-col=\"missed\""),
        0
    );
    assert_eq!(
        cell(
            &html,
            &format!("data-worker=\"{}\" data-col=\"missed\"", li.person)
        ),
        1
    );
    assert!(!html.contains(&format!("data-worker=\"{}\"", wu.person)));
    // Over thirty days, Wu Gang's round counts too.
    let html = get(
        &server,
        &desk_supervisor.cookie,
        "/console/discrepancies?days=30",
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(
        cell(&html, "data-grid=\"g-xinhua-2\" data-col=\"missed\""),
        1
    );
    assert_eq!(
        cell(
            &html,
            &format!("data-worker=\"{}\" data-col=\"missed\"", wu.person)
        ),
        1
    );
    // A window outside 1 to 366 days is refused.
    assert_eq!(
        get(
            &server,
            &desk_supervisor.cookie,
            "/console/discrepancies?days=0"
        )
        .await
        .status(),
        400
    );
    server.stop().await;
}

/// A CSV export's cells (the byte-order mark dropped, a defused formula's `'` removed:
/// XLSX keeps formulas as text instead).
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|c| match c.strip_prefix('\'') {
                    Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
                    _ => c.to_string(),
                })
                .collect()
        })
        .collect()
}

/// An XLSX export's first sheet, read back by calamine, as text (whole numbers
/// without a decimal point); also whether its numeric columns hold numbers.
fn xlsx_cells(bytes: Vec<u8>) -> (Vec<Vec<String>>, usize) {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let mut numbers = 0;
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => {
                        numbers += 1;
                        if f.fract() == 0.0 {
                            format!("{}", *f as i64)
                        } else {
                            f.to_string()
                        }
                    }
                    Data::Int(i) => {
                        numbers += 1;
                        i.to_string()
                    }
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect();
    (rows, numbers)
}

#[tokio::test]
async fn xlsx_exports_hold_the_csv_exports_cells() {
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
    for (csv_path, xlsx_path) in [
        ("/console/export/report.csv", "/console/export/report.xlsx"),
        ("/console/export/cases.csv", "/console/export/cases.xlsx"),
        (
            "/console/export/cases.csv?category=fire",
            "/console/export/cases.xlsx?category=fire",
        ),
    ] {
        let csv_text = get(&server, &staff.cookie, csv_path)
            .await
            .text()
            .await
            .unwrap();
        let response = get(&server, &staff.cookie, xlsx_path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let (cells, numbers) = xlsx_cells(response.bytes().await.unwrap().to_vec());
        let expected = csv_cells(&csv_text);
        assert!(expected.len() > 1, "{csv_path}: {csv_text}");
        // calamine's range ends at the last written cell: pad rows to the header's width.
        let width = expected[0].len();
        let cells: Vec<Vec<String>> = cells
            .into_iter()
            .map(|mut row| {
                row.resize(width, String::new());
                row
            })
            .collect();
        assert_eq!(cells, expected, "{xlsx_path}");
        assert!(numbers > 0, "{xlsx_path}: numbers are number cells");
    }
    let only_fire = get(
        &server,
        &staff.cookie,
        "/console/export/cases.xlsx?category=fire",
    )
    .await
    .bytes()
    .await
    .unwrap()
    .to_vec();
    let (rows, _) = xlsx_cells(only_fire);
    assert_eq!(rows.len(), 2, "a header and one case");
    assert_eq!(rows[1][0], fire);
    let all = xlsx_cells(
        get(&server, &staff.cookie, "/console/export/cases.xlsx")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .0;
    assert!(all.iter().any(|r| r[0] == traffic));
    server.stop().await;
}

/// The status of a phone's pull with its token.
async fn pull_status(server: &TestServer, device: &Device) -> u16 {
    client()
        .get(server.url("/v1/pull"))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Posts a form as a signed-in desk person.
async fn post_form(
    server: &TestServer,
    desk: &Desk,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(server.url(path))
        .header(COOKIE, format!("gw_session={}", desk.cookie))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The one-time code an administration page shows.
fn shown_code(html: &str) -> String {
    html.split("<code id=\"code\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no code shown: {html}"))
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn admins_add_people_with_a_qr_code_reissue_disable_and_revoke_devices() {
    let server = TestServer::start().await;
    let root = desk(&server, "Admin Wei", "admin", "jinjiang", None, "wei").await;
    let supervisor = desk(&server, "Zhao Min", "supervisor", "jinjiang", None, "zhao").await;
    assert_eq!(
        get(&server, &supervisor.cookie, "/console/admin")
            .await
            .status(),
        404
    );
    let people = || server.state.store.people().unwrap().len();
    let before = people();

    // Without the form's token, or as a supervisor, nothing is added.
    let person = [
        ("name", "Liu Yang"),
        ("role", "grid-worker"),
        ("unit", "g-xinhua-1"),
        ("department", ""),
    ];
    let forged: Vec<(&str, &str)> = std::iter::once(("csrf", "forged")).chain(person).collect();
    assert_eq!(
        post_form(&server, &root, "/console/admin/people", &forged)
            .await
            .status(),
        403
    );
    let as_supervisor: Vec<(&str, &str)> = std::iter::once(("csrf", supervisor.csrf.as_str()))
        .chain(person)
        .collect();
    assert_eq!(
        post_form(
            &server,
            &supervisor,
            "/console/admin/people",
            &as_supervisor
        )
        .await
        .status(),
        404
    );
    assert_eq!(people(), before);

    // A bad unit is refused with the reason, and adds no one.
    let bad: Vec<(&str, &str)> = [
        ("csrf", root.csrf.as_str()),
        ("name", "Liu Yang"),
        ("role", "grid-worker"),
        ("unit", "nowhere"),
    ]
    .to_vec();
    let html = post_form(&server, &root, "/console/admin/people", &bad)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"error\"") && html.contains("nowhere"),
        "{html}"
    );
    assert_eq!(people(), before);

    // Added: the code is shown as text and as an SVG QR code, and it enrols a phone.
    let good: Vec<(&str, &str)> = std::iter::once(("csrf", root.csrf.as_str()))
        .chain(person)
        .collect();
    let html = post_form(&server, &root, "/console/admin/people", &good)
        .await
        .text()
        .await
        .unwrap();
    let code = shown_code(&html);
    let qr = html.split("<div id=\"code-qr\">").nth(1).unwrap();
    assert!(
        qr.trim_start().starts_with("<?xml") || qr.trim_start().starts_with("<svg"),
        "{qr}"
    );
    assert!(qr.contains("<svg") && qr.contains("<path"));
    assert_eq!(people(), before + 1);
    let phone = server.enrol(&code).await;
    assert_eq!(pull_status(&server, &phone).await, 200);

    // A new code for a second phone.
    let liu = phone.person.clone();
    let html = post_form(
        &server,
        &root,
        &format!("/console/admin/people/{liu}/reissue"),
        &[("csrf", root.csrf.as_str())],
    )
    .await
    .text()
    .await
    .unwrap();
    let second = server.enrol(&shown_code(&html)).await;
    assert_eq!(pull_status(&server, &second).await, 200);
    let listing = get(&server, &root.cookie, "/console/admin")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&format!("data-device=\"{}\"", phone.device_id)));
    assert!(listing.contains(&format!("data-person=\"{liu}\"")));

    // Revoking the first phone shuts it out; the second still syncs.
    let revoked = post_form(
        &server,
        &root,
        &format!("/console/admin/devices/{}/revoke", phone.device_id),
        &[("csrf", root.csrf.as_str())],
    )
    .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(pull_status(&server, &phone).await, 401);
    assert_eq!(pull_status(&server, &second).await, 200);

    // Disabling the person shuts out every device of theirs; a forged form does not.
    let path = format!("/console/admin/people/{liu}/disable");
    assert_eq!(
        post_form(&server, &root, &path, &[("csrf", "forged")])
            .await
            .status(),
        403
    );
    assert_eq!(pull_status(&server, &second).await, 200);
    assert_eq!(
        post_form(&server, &root, &path, &[("csrf", root.csrf.as_str())])
            .await
            .status(),
        303
    );
    assert_eq!(pull_status(&server, &second).await, 401);
    // An id that names no one is not found (buttons name people exactly, never by prefix).
    assert_eq!(
        post_form(
            &server,
            &root,
            "/console/admin/people/x/disable",
            &[("csrf", root.csrf.as_str())]
        )
        .await
        .status(),
        404
    );
    server.stop().await;
}

/// Uploads a CSV file to the import form (multipart, as the browser sends it).
async fn upload_csv(
    server: &TestServer,
    desk: &Desk,
    csrf: &str,
    kind: &str,
    csv: &str,
) -> reqwest::Response {
    let boundary = "gridwalk-import-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    client()
        .post(server.url("/console/admin/import"))
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

#[tokio::test]
async fn admins_import_sites_seeing_every_bad_row_and_print_their_qr_codes() {
    let server = TestServer::start().await;
    let root = desk(&server, "Admin Wei", "admin", "jinjiang", None, "wei").await;
    let staff = desk(
        &server,
        "Sun Li",
        "community-staff",
        "c-xinhua",
        None,
        "sunli",
    )
    .await;
    let sites = || server.state.store.sites().unwrap().len();
    let before = sites();
    let bad = "id,name,kind,unit,address,lat,lon\n\
               site-x,Good Flats,residential,g-xinhua-1,1 Rd,,\n\
               site-y,Zoo,zoo,g-xinhua-1,2 Rd,,\n\
               site-z,,school,g-xinhua-2,3 Rd,,\n";
    let html = upload_csv(&server, &root, &root.csrf, "sites", bad)
        .await
        .text()
        .await
        .unwrap();
    let listed = html
        .split("id=\"bad-rows\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{html}"));
    let items = listed
        .split("</ul>")
        .next()
        .unwrap()
        .matches("<li>")
        .count();
    assert_eq!(items, 2, "both bad rows are shown: {listed}");
    assert!(
        listed.contains("line 3") && listed.contains("line 4"),
        "{listed}"
    );
    assert_eq!(sites(), before, "a bad row refuses the whole file");

    // Without the token, or as another role, nothing is imported.
    let good = "id,name,kind,unit,address,lat,lon\n\
                site-x,Good Flats,residential,g-xinhua-1,1 Rd,,\n\
                site-w,West Market,market,g-xinhua-2,4 Rd,30.1,104.1\n";
    assert_eq!(
        upload_csv(&server, &root, "forged", "sites", good)
            .await
            .status(),
        403
    );
    assert_eq!(
        upload_csv(&server, &staff, &staff.csrf, "sites", good)
            .await
            .status(),
        404
    );
    assert_eq!(sites(), before);

    let html = upload_csv(&server, &root, &root.csrf, "sites", good)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"imported\""), "{html}");
    assert_eq!(sites(), before + 2);

    // The QR sheet of Xinhua Grid 2: its sites' labels, each with a QR code.
    let sheet = get(
        &server,
        &root.cookie,
        "/console/admin/sites/qr?unit=g-xinhua-2",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(sheet.contains("data-site=\"site-w\"") && sheet.contains("data-site=\"site-b\""));
    assert!(!sheet.contains("data-site=\"site-a\""));
    assert_eq!(
        sheet.matches("class=\"label\"").count(),
        sheet.matches("<svg").count()
    );
    assert_eq!(
        get(&server, &staff.cookie, "/console/admin/sites/qr")
            .await
            .status(),
        404
    );
    server.stop().await;
}
