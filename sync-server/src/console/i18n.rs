//! The console's two languages: Simplified Chinese first, English as a switch. The
//! language is the `gw_lang` cookie the switch sets, else the first of `zh`/`en` the
//! browser's `Accept-Language` prefers, else Chinese.
//!
//! Every text a page shows is a field of [`Texts`], written once per language side by
//! side ([`texts!`]), so a text missing in one language does not compile.

use axum::http::HeaderMap;
use gridwalk_model::hazard::{EventKind, Level, Status};
use gridwalk_model::profile::Role;

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "gw_lang";

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language of a request: the switch's cookie, else `Accept-Language`.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) = super::session::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Zh, from_accept_language)
    }

    /// `zh` or `en` (as the cookie and the `lang` attribute name them).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a cookie or a link names.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The texts of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// A role's name.
    pub fn role(self, role: Role) -> &'static str {
        let (zh, en) = match role {
            Role::GridWorker => ("网格员", "grid worker"),
            Role::CommunityStaff => ("社区工作人员", "community staff"),
            Role::StreetOfficer => ("街道干部", "street officer"),
            Role::DepartmentOfficer => ("部门工作人员", "department officer"),
            Role::Supervisor => ("督查人员", "supervisor"),
            Role::Admin => ("管理员", "administrator"),
        };
        self.pick(zh, en)
    }

    /// A case status's name.
    pub fn status(self, status: Status) -> &'static str {
        let (zh, en) = match status {
            Status::Unreported => ("待上报", "awaiting report"),
            Status::Reported => ("已上报", "reported"),
            Status::Assigned => ("已交办", "assigned"),
            Status::InProgress => ("整改中", "in progress"),
            Status::Rectified => ("已整改", "rectified"),
            Status::Verified => ("已核查", "verified"),
            Status::Closed => ("已关闭", "closed"),
        };
        self.pick(zh, en)
    }

    /// A level's name.
    pub fn level(self, level: Level) -> &'static str {
        let (zh, en) = match level {
            Level::Community => ("社区", "community"),
            Level::Street => ("街道", "street"),
            Level::District => ("区", "district"),
        };
        self.pick(zh, en)
    }

    /// An event kind's name, as a timeline entry and as an action button.
    pub fn event(self, kind: EventKind) -> &'static str {
        let (zh, en) = match kind {
            EventKind::Reported => ("上报", "reported"),
            EventKind::CalledIn => ("上报上级", "called in"),
            EventKind::Assigned => ("交办部门", "assigned"),
            EventKind::Accepted => ("接收", "accepted"),
            EventKind::Progress => ("进展", "progress"),
            EventKind::Rectified => ("整改完成", "rectified"),
            EventKind::Verified => ("核查", "verified"),
            EventKind::Reopened => ("重新打开", "reopened"),
            EventKind::Closed => ("关闭", "closed"),
            EventKind::Comment => ("备注", "comment"),
        };
        self.pick(zh, en)
    }

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// The first of `zh`/`en` in an `Accept-Language` header, by weight then order;
/// Chinese when it names neither.
fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag == "zh" || tag.starts_with("zh-") {
            Lang::Zh
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Zh, |(_, lang)| lang)
}

/// Defines [`Texts`] and its two instances from one list of `key: "中文", "English";`.
macro_rules! texts {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        /// Every text the console's pages show, in one language.
        #[derive(Debug)]
        pub struct Texts {
            $(
                // The key named too: an English text may be empty (a Chinese measure word
                // with no English counterpart), and an empty doc comment says nothing.
                #[doc = concat!("`", stringify!($key), "`: ", $en)]
                pub $key: &'static str,
            )*
        }
        /// Simplified Chinese.
        pub const ZH: Texts = Texts { $($key: $zh,)* };
        /// English.
        pub const EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    app: "隐患排查整治 · 工作台", "Hazard campaign · console";
    switch_to: "English", "中文";
    signin: "登录", "Sign in";
    signout: "退出", "Sign out";
    login: "登录名", "Sign-in name";
    password: "密码", "Password";
    password_again: "再次输入密码", "Password again";
    set_password: "设置密码", "Set a password";
    set_password_hint: "首次使用：输入管理员给您的一次性码，设置登录名和密码（至少 10 位）。", "First time here: enter the one-time code an administrator gave you, choose a sign-in name and a password (at least 10 characters).";
    code: "一次性码", "One-time code";
    first_time: "首次使用？设置密码", "First time? Set a password";
    bad_signin: "登录名或密码不正确。", "Wrong sign-in name or password.";
    too_many: "尝试次数过多，请稍后再试（秒）：", "Too many attempts; try again in (seconds):";
    desk_only: "工作台仅供社区、街道、部门、督查和管理人员使用；网格员请使用手机应用。", "The console is for desk roles; grid workers use the phone app.";
    signed_out_disabled: "您的账号已被停用，已退出登录。", "Your account was disabled; you were signed out.";
    signed_out_expired: "登录已过期，请重新登录。", "Your session expired; sign in again.";
    signed_out: "已退出登录。", "You are signed out.";
    password_set: "密码已设置，请登录。", "Your password is set; sign in.";
    code_unknown: "一次性码无效或已使用。", "The one-time code is unknown or already used.";
    person_disabled: "此人员已被停用。", "This person is disabled.";
    login_taken: "此登录名已被他人使用。", "Someone else already signs in with this name.";
    password_short: "密码至少 10 位。", "The password needs at least 10 characters.";
    password_mismatch: "两次输入的密码不一致。", "The two passwords differ.";
    login_bad: "登录名为 3–32 位字母、数字、点、横线或下划线。", "A sign-in name is 3 to 32 letters, digits, dots, dashes or underscores.";
    form_expired: "表单已过期（CSRF 校验失败），请刷新页面后重试。", "The form expired (CSRF check failed); reload the page and try again.";
    queue: "待办案件", "Case queue";
    dashboard: "统计看板", "Dashboard";
    queue_community: "本社区上报的隐患", "Hazards reported in your community";
    queue_street: "上报至本街道的隐患", "Hazards called in to your street";
    queue_department: "交办本部门的隐患", "Hazards assigned to your department";
    queue_area: "辖区内的隐患", "Hazards in your area";
    filter: "筛选", "Filter";
    all: "全部", "all";
    open_only: "未办结", "open";
    category: "类别", "Category";
    status: "状态", "Status";
    unit: "单位", "Unit";
    site: "场所", "Site";
    overdue: "超期", "Overdue";
    overdue_only: "仅超期", "overdue only";
    previous_page: "上一页", "Previous page";
    next_page: "下一页", "Next page";
    cases_total: "件，第", "cases, page";
    page_of: "页，共", "of";
    pages: "页", "";
    due: "期限", "Due";
    level: "层级", "Level";
    department: "责任部门", "Department";
    reported_at: "上报时间", "Reported";
    none: "无", "none";
    no_cases: "没有符合条件的案件。", "No case matches.";
    case: "案件", "Case";
    timeline: "处理记录", "Timeline";
    event: "事件", "Event";
    who: "人员", "Who";
    role: "角色", "Role";
    when: "时间", "When";
    device: "设备", "Device";
    note: "说明", "Note";
    evidence: "现场照片", "Evidence";
    photo_pending: "原图上传中", "full photo pending";
    rectification_photos: "整改照片", "Photos of the fix";
    inspection: "来源检查", "From inspection";
    contested: "存在冲突，需街道处理", "Contested: concurrent events need the street to resolve";
    skew: "设备时钟偏差", "Device clock skew";
    actions: "可执行操作", "Actions you may take now";
    no_actions: "您当前不能对此案件进行操作。", "There is nothing you may do on this case now.";
    refused: "操作被拒绝：", "Refused:";
    done: "已记录。", "Recorded.";
    photo: "整改照片（JPEG）", "Photo of the fix (JPEG)";
    passed: "整改合格", "fix holds";
    failed: "整改不合格", "fix does not hold";
    withheld: "（个人信息已隐去）", "(personal details withheld)";
    description: "隐患描述", "Description";
    severity: "严重程度", "Severity";
    found: "发现", "Found";
    open: "未办结", "Open";
    rectified: "已整改", "Rectified";
    verified: "已核查", "Verified";
    closed: "已关闭", "Closed";
    solved_community: "社区解决", "Solved by community";
    solved_street: "街道解决", "Solved by street";
    solved_district: "区级解决", "Solved by district";
    median_days: "整改天数中位数", "Median days to fix";
    by_category: "按类别", "By category";
    by_unit: "按单位", "By unit";
    solved_by_level: "各层级解决数", "Solved by level";
    weekly: "每周趋势（发现 / 核查）", "Weekly trend (found / verified)";
    week: "周", "Week";
    as_of: "统计时间", "As of";
    awaiting_report: "等待上报事件的案件", "Cases awaiting their report";
    up: "上一级", "Up";
    not_found: "未找到，或您无权查看。", "Not found, or not yours to see.";
    error: "出错了", "Something went wrong";
    back: "返回", "Back";
    export_csv: "导出 CSV", "Export CSV";
    export_xlsx: "导出 Excel", "Export XLSX";
    admin: "人员与设备", "People and devices";
    add_person: "添加人员", "Add a person";
    people: "人员", "People";
    devices: "设备", "Devices";
    code_for: "一次性码，发给", "One-time code for";
    code_once: "此码只显示这一次：手机应用扫描二维码或输入此码即可注册；工作台用它设置密码。", "This code is shown only now: the phone app scans the QR code or takes the typed code to enrol; the console takes it to set a password.";
    disable: "停用", "Disable";
    enable: "启用", "Enable";
    disabled: "已停用", "disabled";
    reissue: "重发一次性码", "New one-time code";
    revoke: "吊销", "Revoke";
    revoked: "已吊销", "revoked";
    expired: "已过期", "expired";
    active: "有效", "active";
    enrolled: "注册时间", "Enrolled";
    last_seen: "最近同步", "Last seen";
    import: "导入单位和场所", "Import units and sites";
    import_hint: "上传 CSV 文件：单位为 id,name,level,parent；场所为 id,name,kind,unit,address,lat,lon。有任何错误行则整份文件不导入，并列出所有错误行。", "Upload a CSV file: units as id,name,level,parent; sites as id,name,kind,unit,address,lat,lon. Any bad row refuses the whole file, and every bad row is listed.";
    imported: "已导入行数：", "Rows imported:";
    import_refused: "未导入，以下行有错误：", "Nothing imported; these rows are wrong:";
    units_csv: "单位", "Units";
    sites_csv: "场所", "Sites";
    qr_sheet: "场所二维码打印页", "Printable sheet of site QR codes";
    spot_checks: "暗访抽查", "Spot checks";
    spot_hint: "选择区域和场所数量，系统按随机种子抽取场所；相同种子再次抽取结果相同。计划只发送到您本人的设备，提交前被检查区域看不到。", "Choose an area and a number of sites; the sites are drawn at random from a seed, and the same seed draws the same sites again. The plan reaches only your own devices and stays invisible to the inspected area until submitted.";
    area: "区域", "Area";
    site_count: "场所数量", "Number of sites";
    seed: "随机种子", "Seed";
    seed_new: "留空则新生成", "empty: a new one";
    weight_open: "侧重有未办结隐患的场所", "weight towards sites with open hazards";
    weight_stale: "侧重长期未检查的场所", "weight towards sites not visited for long";
    weight_sensitive: "侧重养老机构、学校、市场", "weight towards care institutions, schools, markets";
    draw: "抽取", "Draw";
    sample: "抽取结果", "Sample";
    site_kind: "场所类型", "Kind";
    days_since_visit: "距上次检查天数", "Days since last visit";
    never: "从未检查", "never";
    plan_visits: "生成抽查计划", "Plan these visits";
    planned: "已生成抽查计划，场所数：", "Visits planned:";
    already_planned: "此计划表单已提交过，抽查计划只生成一次。", "This plan was already submitted; the visits were planned once.";
    my_plans: "我的待执行抽查", "My planned visits";
    no_plans: "暂无待执行的抽查。", "No planned visit.";
    discrepancies: "抽查发现差异", "Spot-check discrepancies";
    discrepancy_hint: "抽查发现的隐患，而该场所的日常巡查在此前若干天内将同一检查项记为正常：衡量日常巡查是否细致。", "Hazards a spot check found where a routine inspection had marked the same item ok in the preceding days: how thorough routine inspections are.";
    days: "天数", "Days";
    spot_found: "抽查发现隐患", "Hazards found by spot checks";
    missed: "日常巡查漏报", "Marked ok by routine inspection";
    by_grid: "按网格", "By grid";
    by_worker: "按网格员", "By grid worker";
    item: "检查项", "Item";
    spot_at: "抽查时间", "Spot check";
    routine_at: "巡查时间", "Routine inspection";
    no_discrepancies: "没有差异。", "No discrepancy.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_of_chinese_and_english() {
        assert_eq!(from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(from_accept_language("fr, en;q=0.5, zh;q=0.7"), Lang::Zh);
        assert_eq!(from_accept_language("de"), Lang::Zh);
        assert_eq!(from_accept_language("en;q=0, zh-TW;q=0.1"), Lang::Zh);
        assert_eq!(from_accept_language("en;q=0.2, zh;q=0"), Lang::En);
    }
}
