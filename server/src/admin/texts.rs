//! The admin web's words: Simplified Chinese first, English second. Each text
//! is written once with both languages side by side, so neither can be
//! missing; templates read them as `t.name`.

use tiyan_core::accounts::Role;
use tiyan_core::ledger::{Action, LedgerState, Satisfaction, Source, StepError};
use tiyan_core::settings::{PolicyError, SettingsError};
use tiyan_core::workdays::{DayKind, Urgency};

use crate::error::{Error, Invalid};
use tiyan_services::audit::AuditAction;
use tiyan_services::ledger::StepForm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Lang {
        if s == "en" { Lang::En } else { Lang::Zh }
    }

    /// The language the toggle offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The toggle's link: this page (`back`) in the other language.
    pub fn toggle_href(self, back: &str) -> String {
        format!("/admin/lang?to={}&back={}", self.other().code(), super::page::query_value(back))
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

macro_rules! texts {
    ($($key:ident: $zh:literal, $en:literal;)*) => {
        #[derive(Debug)]
        pub struct Texts {
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub static ZH: Texts = Texts { lang: "zh-CN", $($key: $zh,)* };
        pub static EN: Texts = Texts { lang: "en", $($key: $en,)* };

        #[cfg(test)]
        pub fn all(t: &Texts) -> Vec<(&'static str, &'static str)> {
            vec![$((stringify!($key), t.$key),)*]
        }
    };
}

texts! {
    app: "体验 Tiyan · 大厅办公", "Tiyan · Hall office";
    other_lang: "English", "中文";
    sign_in: "登录", "Sign in";
    sign_in_title: "大厅办公登录", "Sign in to the hall office";
    sign_out: "退出", "Sign out";
    login: "账号", "Login";
    password: "密码", "Password";
    password_again: "再次输入密码", "Password again";
    wrong_password: "账号或密码错误", "Wrong login or password";
    locked: "错误次数过多，请稍后再试", "Too many wrong passwords: try again later";
    session_ended: "长时间未操作，请重新登录", "You were away for a while: sign in again";
    nav_dashboard: "工作台", "Dashboard";
    nav_ledger: "台账", "Ledger";
    nav_accounts: "账号", "Accounts";
    nav_reference: "基础数据", "Reference data";
    nav_devices: "设备", "Devices";
    nav_calendar: "工作日历", "Calendar";
    nav_audit: "审计日志", "Audit log";
    nav_figures: "月度考核", "Monthly figures";
    nav_officers: "体验官", "Officers";
    figures_title: "月度考核", "Monthly assessment";
    month: "月份", "Month";
    staff_member: "工作人员", "Staff member";
    rank: "排名", "Rank";
    too_few: "评价数不足", "too few ratings";
    near_bottom: "末位", "near the bottom";
    called_in: "连续两月末位，约谈", "bottom two months running: call in";
    levels_hint: "非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意", "very satisfied / satisfied / basically / dissatisfied / very dissatisfied";
    attitude_satisfaction: "态度满意度", "Attitude satisfaction";
    competence_satisfaction: "能力满意度", "Competence satisfaction";
    satisfaction_combined: "综合满意度", "Satisfaction";
    bad_reviews: "差评", "Bad reviews";
    bad_rate_label: "差评率", "Bad-review rate";
    ranking_score: "排名得分", "Ranking score";
    ledger_items: "台账条目", "Ledger items";
    call_back_rate: "回访率", "Call-back rate";
    rectified_rate: "整改率", "Rectified";
    on_time_rate: "按期整改率", "Rectified on time";
    method_line: "计算方法第 {version} 版：{formula}；每月不少于 {minimum} 条有效评价方参与排名；排名后 {bottom}% 为末位。", "Method version {version}: {formula}; ranked from {minimum} ratings in the month; the last {bottom}% are near the bottom.";
    left_out_line: "未计入：误触 {misuse} 条，申诉成立 {appeals} 条，同一办件重复评价 {repeats} 条。", "Left out: {misuse} flagged as misuse, {appeals} excluded by an upheld appeal, {repeats} repeated ratings of a case.";
    month_open: "本月尚未结账：数字随新评价和申诉决定而变化。", "Not closed yet: the figures change with new ratings and appeal decisions.";
    month_closed: "已于 {at} 结账（计算方法第 {version} 版），数字已冻结。", "Closed on {at} (method version {version}); the figures are frozen.";
    month_closed_done: "本月已结账，数字已冻结", "The month is closed and its figures frozen";
    close_month: "结账并冻结", "Close the month";
    confirm_close_month: "结账后本月数字将冻结，之后的变化只作为更正显示。确定结账？", "Closing freezes the month's figures; later changes show only as corrections. Close it?";
    download_workbook: "下载 Excel", "Download the workbook";
    print_report: "打印月报", "Printable report";
    corrections_title: "结账后的更正", "Corrections since closing";
    corrections_hint: "结账后的申诉决定或迟到的评价改变了以下数字；冻结的数字保持不变。", "Appeal decisions or late ratings since closing changed these figures; the frozen figures stay as they were.";
    correction_figure: "{n} 条，满意度 {s}，排名 {rank}", "{n} ratings, satisfaction {s}, rank {rank}";
    frozen_figure: "冻结时", "Frozen";
    corrected_figure: "现在", "Now";
    windows_ranking: "窗口排名", "Windows";
    staff_ranking: "工作人员排名", "Staff";
    trend_title: "近 12 个月趋势", "The last 12 months";
    figure_settings: "本大厅考核与设备设置", "This hall's settings";
    minimum_ratings: "参与排名的最低评价数", "Minimum ratings for a rank";
    publish_names: "公开页面显示工作人员姓名（脱敏）", "Name staff (masked) on the public page";
    opens: "开门时间", "Opens";
    closes: "关门时间", "Closes";
    silence_minutes: "评价器失联报警（分钟）", "A kiosk silent for (minutes)";
    alert_minutes: "即时预警时间窗（分钟）", "Live alert span (minutes)";
    alert_min_ratings: "即时预警最少评价数", "Live alert: at least this many ratings";
    alert_bad_percent: "即时预警差评比例（%）", "Live alert: bad reviews (%)";
    rating_rate_percent: "评价率提示线（%）", "Flag a window rating fewer of its cases than (%)";
    kiosk_policy: "本大厅评价器（下次同步时生效）", "This hall's kiosks (applied at their next sync)";
    kiosk_policy_hint: "留空的项目由各评价器的管理员自行设置。", "What is left empty stays each kiosk administrator's to set.";
    lunch_from: "午休开始", "Lunch break from";
    lunch_to: "午休结束", "Lunch break to";
    sleep_when_closed: "非办公时间（含午休）评价器休眠，显示“暂停服务”，不接受评价", "Outside opening hours (and at lunch) kiosks sleep: a dimmed \"closed\" screen, no ratings";
    kiosk_idle_seconds: "无操作返回首页（秒）", "Back to the start when idle (seconds)";
    kiosk_interval_seconds: "误触判定间隔（秒）", "Misuse interval (seconds)";
    kiosk_languages: "评价器语言", "Kiosk languages";
    languages_kiosk: "由评价器设置", "Left to each kiosk";
    languages_zh: "仅中文", "Chinese only";
    languages_zh_en: "中文和英文", "Chinese and English";
    cases_served: "办件数", "Cases served";
    rating_rate: "评价率", "Rating rate";
    rating_rate_hint: "叫号/综窗系统请求评价的办件中已评价的比例（主动评价率）", "Of the cases the window's system asked to be rated, the share rated";
    rate_low: "偏低", "low";
    without_case: "无办件编号", "Without a case";
    method_title: "计算方法", "Method";
    method_hint: "保存即生成新版本，从此以后的计算使用新版本；已结账月份保留原版本。", "Saving makes a new version for what is computed from now on; closed months keep theirs.";
    level_scores: "五个等级分值（1 级到 5 级）", "Level scores (level 1 to 5)";
    prior_weight: "先验权重 C（条）", "Prior weight C (ratings)";
    bottom_percent: "末位比例（%）", "Bottom share (%)";
    save_new_version: "保存为新版本", "Save as a new version";
    printed_at: "打印时间", "Printed";
    officers_title: "体验官年度统计", "Officers of the year";
    year: "年度", "Year";
    entries_written: "日记篇数", "Entries";
    problems_reported: "反映问题", "Problems reported";
    problems_rectified: "推动整改", "Led to a rectification";
    average_score: "平均评分", "Average score";
    nominated: "已提名", "Nominated";
    nominate: "提名为优秀体验官", "Nominate";
    withdraw: "撤销提名", "Withdraw";
    nominated_done: "已更新提名", "Nominations updated";
    print_list: "打印优秀体验官名单", "Print the list";
    excellent_officers: "优秀体验官名单", "The year's excellent officers";
    alerts_title: "即时预警", "Live alerts";
    alert_line: "{window}：{minutes} 分钟内 {n} 条评价中 {bad} 条差评（{at}）", "{window}: {bad} of {n} ratings bad within {minutes} minutes ({at})";
    acknowledge: "确认处理", "Acknowledge";
    alert_note: "处理说明", "What was done";
    acknowledged: "预警已确认", "Alert acknowledged";
    silent_kiosks: "失联的评价器", "Silent kiosks";
    app_version: "版本", "Version";
    versions_in_use: "在用版本", "Versions in use";
    device_settings: "基础数据与设置", "Data and settings";
    settings_current: "最新", "Current";
    settings_behind: "待更新", "Behind";
    waiting_records: "待上传", "Waiting";
    clock_difference: "时钟偏差", "Clock difference";
    silent: "失联", "Silent";
    public_title: "政务服务好差评结果公开", "Published evaluation results";
    public_intro: "以下为各大厅已结账月份的评价结果。不含任何办事群众的信息。", "The results of each hall's closed months. Nothing about any citizen is shown.";
    published_months: "已公开月份", "Published months";
    public_none: "尚无公开的月份", "No month has been published yet";
    print: "打印", "Print";
    save: "保存", "Save";
    add: "添加", "Add";
    apply: "筛选", "Filter";
    all: "全部", "All";
    yes: "是", "Yes";
    back: "返回", "Back";
    previous: "上一页", "Previous";
    next: "下一页", "Next";
    page_of: "第 {page} 页，共 {total} 条", "Page {page}, {total} in all";
    error_title: "出错了", "Something went wrong";
    not_found: "找不到该页面或条目", "No such page or item";
    forbidden: "您没有权限进行此操作", "You may not do this";
    stale: "该条目已被他人更新，请刷新后重试", "Someone changed this item meanwhile: look at it again";
    refused: "请求被拒绝（表单已过期或来源不符），请刷新页面后重试", "The request was refused (the form expired or came from elsewhere): reload the page";
    internal: "服务器出错，请查看服务器日志", "Server error: see the server log";
    hall: "大厅", "Hall";
    window: "窗口", "Window";
    staff: "工作人员", "Staff";
    source: "来源", "Source";
    state: "状态", "State";
    due: "期限", "Due";
    due_by: "截止日期不晚于", "Due by";
    overdue: "已超期", "Overdue";
    due_soon: "即将到期", "Due soon";
    estimate: "（估算）", "(estimate)";
    escalated: "督办", "Escalated";
    registered: "登记时间", "Registered";
    summary: "内容", "Content";
    category: "类别", "Category";
    open_only: "仅未办结", "Open only";
    dash_open: "未办结", "Open";
    dash_due_today: "今日到期", "Due today";
    dash_due_soon: "明日（下一工作日）到期", "Due the next working day";
    dash_overdue: "已超期", "Overdue";
    dash_escalated: "督办中", "Escalated";
    dash_appealed: "待申诉裁定", "Appeals to decide";
    dash_registered_today: "今日新登记", "Registered today";
    dash_month: "本月评价", "This month's ratings";
    dash_ratings: "计入评价", "Ratings counted";
    dash_bad: "差评", "Bad reviews";
    dash_excluded: "申诉成立不计入", "Excluded by upheld appeals";
    calendar_missing: "尚未导入 {year} 年的节假日安排：该年内的期限为估算，请到“工作日历”导入。", "The {year} holiday arrangement is not imported: deadlines in that year are estimates. Import it under Calendar.";
    estimates_note: "有 {n} 项的期限为估算。", "{n} deadlines are estimates.";
    item_title: "台账条目", "Ledger item";
    rating_title: "评价", "Rating";
    attitude: "服务态度", "Service attitude";
    competence: "业务能力", "Professional competence";
    reasons: "差评原因", "Reasons";
    comment: "意见", "Comment";
    callback: "回访电话", "Call-back number";
    reveal: "显示完整号码", "Show the full number";
    revealed_note: "查看完整号码已记入审计日志。", "Seeing the full number was written to the audit log.";
    problem_title: "体验官反映的问题", "An officer's problem";
    officer: "体验官", "Officer";
    diary_account: "体验经过", "Account";
    events: "处理记录", "History";
    actor: "操作人", "By";
    note: "说明", "Note";
    steps: "办理", "Handle";
    reply_text: "反馈内容（将告知群众或体验官）", "Reply (goes to the citizen or officer)";
    also_linked: "同时办理关联条目", "Also on the linked items";
    linked: "关联条目", "Linked items";
    link_with: "关联另一条目（输入编号）", "Link another item (its id)";
    link: "关联", "Link";
    related: "同窗口或同一工作人员近两周的记录", "The same window or staff member in the last two weeks";
    related_items: "台账条目", "Ledger items";
    related_ratings: "评价", "Ratings";
    no_steps: "当前无需您办理的步骤。", "Nothing for you to do on this item now.";
    reply_label: "已反馈", "Reply";
    satisfaction_label: "满意度", "Satisfaction";
    accounts_title: "账号与角色", "Accounts and roles";
    name: "姓名", "Name";
    role: "角色", "Role";
    disable: "停用", "Disable";
    new_account: "新建账号", "New account";
    new_password: "新密码", "New password";
    reset_password: "重置密码", "Reset password";
    created: "已创建", "Created";
    audit_title: "审计日志", "Audit log";
    when: "时间", "When";
    client: "来源地址", "Client";
    action: "操作", "Action";
    target: "对象", "Target";
    detail: "详情", "Detail";
    devices_title: "设备", "Devices";
    nav_upward: "数据上报", "Reporting up";
    credit_code: "统一社会信用代码（上报用）", "Unified social credit code (for reporting up)";
    indicator_code: "省平台指标代码", "The province's indicator code";
    window_credit_code: "所属部门统一社会信用代码（上报用）", "Its department's unified social credit code (for reporting up)";
    task_code: "事项编码（上报用）", "The matter's code (for reporting up)";
    upward_title: "好差评数据上报", "Reporting up to the province";
    upward_note: "每条评价与差评整改结果均上报省级好差评平台，平台按评价编号去重。已拒收的记录不会自动重发：请根据原因修正后点击重新上报。", "Every rating and every bad review's outcome goes to the provincial 好差评 platform, which deduplicates on the record's key. A refused record is never sent again by itself: fix what the reason says, then send it again.";
    upward_target: "上报目标", "Target";
    upward_queued: "应报", "Queued";
    upward_acknowledged: "已确认", "Acknowledged";
    upward_refused: "被拒收", "Refused";
    upward_waiting: "待发送", "Waiting";
    upward_by_day: "按日按大厅", "By day and hall";
    upward_refused_records: "被拒收的记录", "Refused records";
    upward_record: "记录", "Record";
    upward_reason: "平台反馈原因", "The platform's reason";
    upward_rating: "评价", "Rating";
    upward_rectification: "整改结果", "Rectification";
    upward_resend: "重新上报", "Send again";
    upward_resend_all: "全部重新上报", "Send all again";
    upward_confirm_all: "确认将全部被拒收的记录重新上报？", "Send every refused record again?";
    upward_resent: "已重新排队上报", "Queued to be sent again";
    upward_none: "未配置上报目标，或近期没有需要上报的记录。", "No target is configured, or nothing was due lately.";
    upward_no_refusals: "没有被拒收的记录。", "No refused records.";
    device: "设备", "Device";
    kind: "类型", "Kind";
    last_contact: "最近联系", "Last contact";
    ratings_count: "评价数", "Ratings";
    revoke: "注销", "Revoke";
    revoked: "已注销", "Revoked";
    active: "正常", "Active";
    never: "从未", "Never";
    enrol: "生成注册码", "New enrolment code";
    code_title: "设备注册码", "Enrolment code";
    code_note: "一次性使用，{hours} 小时内有效。在评价器或体验官笔记本的设置界面输入，或扫描二维码。", "Single use, valid for {hours} hours. Type it on the kiosk's or officer laptop's setup screen, or scan the QR code.";
    kiosk: "评价器", "Kiosk";
    officer_laptop: "体验官笔记本", "Officer laptop";
    valid_hours: "有效小时数", "Valid for (hours)";
    reference_title: "基础数据", "Reference data";
    version: "版本", "Version";
    halls: "大厅", "Halls";
    windows: "窗口", "Windows";
    reasons_list: "差评原因", "Bad-review reasons";
    matters: "本季度体验事项清单", "This quarter's experience list";
    officers: "体验官", "Officers";
    id: "编号", "Id";
    number: "窗口号", "Number";
    name_zh: "中文名称", "Name (Chinese)";
    name_en: "英文名称", "Name (English)";
    employee_no: "工号", "Employee no.";
    department: "部门", "Department";
    pin: "个人密码（4–12 位数字，留空不改）", "Personal PIN (4–12 digits; empty keeps it)";
    photo: "照片", "Photo";
    code: "代码", "Code";
    label_zh: "中文说明", "Label (Chinese)";
    label_en: "英文说明", "Label (English)";
    matter_category: "类别（六类之一）", "Category (one of six)";
    quarter: "季度", "Quarter";
    appointed_from: "聘期开始", "Appointed from";
    appointed_to: "聘期结束", "Appointed to";
    gender: "性别", "Gender";
    age: "年龄", "Age";
    occupation: "职业", "Occupation";
    retire: "停用", "Retire";
    saved: "已保存，设备将在下次同步时更新。", "Saved: devices pick it up at their next sync.";
    calendar_title: "工作日历与期限", "Working days and deadlines";
    years: "已导入年份", "Years imported";
    import_registry: "导入国务院公布的节假日安排（2025、2026）", "Import the State Council's arrangements (2025, 2026)";
    import_file: "导入节假日文件（holiday-cn 格式 JSON）", "Import a holiday file (holiday-cn JSON)";
    day: "日期", "Date";
    holiday: "休息日", "Day off";
    workday: "调休上班", "Worked day";
    clear: "恢复为按星期", "Back to its weekday";
    set_day: "设置某一天", "Set a day";
    hall_limits: "大厅办理时限（工作日）", "Hall limits (working days)";
    verify_days: "核实时限", "Verify within";
    rectify_days: "整改时限", "Rectify within";
    complex_days: "复杂情况整改时限", "Complex case within";
    imported: "已导入", "Imported";
    system: "系统", "System";
    working_days: "{n} 个工作日", "{n} working days";
    step_taken: "已办理", "Done";
    linked_done: "已关联", "Linked";
    unavailable: "数据库暂时无法访问，请稍后再试", "The database cannot be reached: try again shortly";
    status_label: "状态", "Status";
    none_yet: "暂无", "None yet";
    filter_overdue: "只看已超期", "Overdue only";
    filter_escalated: "只看督办", "Escalated only";
    show: "显示", "Show";
    welcome: "您好，{name}", "Hello, {name}";
    view_all: "查看全部", "See all";
    item_no: "编号", "No.";
    misuse: "疑似误操作", "Possibly a mistake";
    case_no: "办件编号", "Case no.";
    visited: "体验时间", "Visited";
    place: "地点", "Place";
    matter: "事项", "Matter";
    revision_no: "版本", "Revision";
    photos: "照片", "Photos";
    expected_hint: "办理时可填写说明；反馈时此处填写反馈内容。", "Add a note; for a reply, write the reply here.";
    disabled_since: "停用于 {when}", "Disabled since {when}";
    change: "修改", "Change";
    password_rule: "至少 10 个字符，不能全是数字", "At least 10 characters, not digits only";
    no_hall: "（全部大厅）", "(every hall)";
    scope_place: "管辖范围", "Place";
    regions: "行政区划", "Regions";
    region: "所属区划", "Region";
    division_code: "区划代码", "Division code";
    no_region: "（未挂区划）", "(no region)";
    level: "层级", "Level";
    level_province: "省级", "Province";
    level_city: "市级", "City";
    level_county: "县级", "County";
    level_township: "乡镇街道", "Township";
    region_figures: "区域对比", "Region compared";
    region_total: "区域合计", "The region in all";
    halls_ranking: "大厅排名", "Halls ranked";
    windows_across: "区域内窗口排名", "Windows across the region";
    windows_more: "页面只列前 200 个窗口，完整排名见工作簿；其余窗口数：", "The page lists the first 200 windows; the workbook has them all. Windows not listed:";
    regions_below: "下级区划：", "Regions below:";
    public_top: "全部地区", "Everywhere";
    search: "搜索", "Search";
    search_hint: "编号、姓名、工号、窗口号", "Id, name, employee or window number";
    rows_of: "第 {from}–{to} 条，共 {total} 条", "Rows {from}–{to} of {total}";
    region_method_line: "区域内排名：评价数不少于 {minimum} 条才排名，向区域均值收缩；{method}", "Ranked in the region: at least {minimum} ratings, shrunk toward the region's mean; {method}";
    audit_filter_action: "操作类型", "Action";
    audit_filter_actor: "操作账号", "Account";
    older: "更早的记录", "Older entries";
    code_for: "用于", "For";
    valid_until: "有效期至", "Valid until";
    scan_hint: "设备设置界面可扫描此二维码", "A device's setup screen can scan this code";
    enrolled: "注册时间", "Enrolled";
    confirm_revoke: "注销后该设备将无法再同步，确定吗？", "The device will no longer sync. Revoke it?";
    confirm_retire: "停用后设备将不再显示此项，确定吗？", "Devices will stop showing it. Retire it?";
    edit: "编辑", "Edit";
    new_row: "新增", "New";
    missing_years: "缺少 {years} 年的节假日安排", "No holiday arrangement for {years}";
    year_days: "{year} 年的调整日", "Adjusted days of {year}";
    note_optional: "说明（可选）", "Note (optional)";
    calendar_saved: "工作日历已更新，未办结条目的期限已重新计算。", "The calendar is updated; open items' deadlines were counted again.";
    limits_saved: "办理时限已保存，新的办理步骤将按此计算。", "Limits saved: new steps count with them.";
    only_supervisor: "仅督导可修改工作日历。", "Only a supervisor changes the calendar.";
    upload: "上传", "Upload";
    category_en: "类别（英文）", "Category (English)";
    officer_password: "新密码（留空不改）", "New password (empty keeps it)";
    appointment: "聘期", "Appointment";
    import: "导入", "Import";
    saved_plain: "已保存", "Saved";
    sign_in_hint: "本系统仅供政务服务大厅工作人员使用，所有操作均记入审计日志。", "For the service hall's staff only. Every action is written to the audit log.";
}

impl Texts {
    fn zh(&self) -> bool {
        self.lang == "zh-CN"
    }

    pub fn state(&self, s: &LedgerState) -> &'static str {
        let (zh, en) = match s {
            LedgerState::Registered => ("已登记·待核实", "Registered, to verify"),
            LedgerState::Verified => ("已核实", "Verified"),
            LedgerState::Rectifying => ("整改中", "Being rectified"),
            LedgerState::Appealed => ("申诉中", "Under appeal"),
            LedgerState::Rectified => ("已整改·待反馈", "Rectified, to reply"),
            LedgerState::Explained => ("已解释·待反馈", "Explained, to reply"),
            LedgerState::Replied => ("已反馈·待评价", "Replied, awaiting satisfaction"),
            LedgerState::Closed => ("已办结", "Closed"),
            LedgerState::Excluded => ("申诉成立·不计入", "Appeal upheld: not counted"),
        };
        if self.zh() { zh } else { en }
    }

    pub fn source(&self, s: &Source) -> &'static str {
        let (zh, en) = match s {
            Source::Rating => ("差评", "Bad review"),
            Source::Problem => ("体验官", "Officer"),
        };
        if self.zh() { zh } else { en }
    }

    pub fn role(&self, r: &Role) -> &'static str {
        let (zh, en) = match r {
            Role::Supervisor => ("督导", "Supervisor"),
            Role::HallAdmin => ("大厅管理员", "Hall administrator"),
            Role::Clerk => ("台账专员", "Ledger clerk"),
            Role::Viewer => ("只读", "Viewer"),
        };
        if self.zh() { zh } else { en }
    }

    pub fn satisfaction(&self, s: &Satisfaction) -> &'static str {
        let (zh, en) = match s {
            Satisfaction::Satisfied => ("满意", "Satisfied"),
            Satisfaction::BasicallySatisfied => ("基本满意", "Basically satisfied"),
            Satisfaction::Dissatisfied => ("不满意", "Not satisfied"),
        };
        if self.zh() { zh } else { en }
    }

    pub fn day_kind(&self, k: &DayKind) -> &'static str {
        match k {
            DayKind::Holiday => self.holiday,
            DayKind::Workday => self.workday,
        }
    }

    pub fn urgency(&self, u: &Urgency) -> &'static str {
        match u {
            Urgency::OnTime => "",
            Urgency::DueSoon => self.due_soon,
            Urgency::Overdue => self.overdue,
        }
    }

    /// A ledger step's button.
    pub fn step(&self, form: StepForm) -> &'static str {
        let (zh, en) = match form {
            StepForm::Verify => ("核实", "Verify"),
            StepForm::FixAtOnce => ("立行立改", "Fixed at once"),
            StepForm::Rectify { complex: false } => ("限期整改", "Rectify by a deadline"),
            StepForm::Rectify { complex: true } => ("限期整改（复杂情况）", "Rectify by a deadline (complex case)"),
            StepForm::Explain => ("解释说明", "Explain"),
            StepForm::RecordRectification => ("整改完成", "Rectification done"),
            StepForm::Appeal => ("提出申诉", "Appeal"),
            StepForm::UpholdAppeal => ("申诉成立", "Uphold the appeal"),
            StepForm::RejectAppeal => ("驳回申诉", "Reject the appeal"),
            StepForm::Reply => ("反馈", "Reply"),
            StepForm::Satisfaction(Satisfaction::Satisfied) => ("回访：满意", "Call-back: satisfied"),
            StepForm::Satisfaction(Satisfaction::BasicallySatisfied) => {
                ("回访：基本满意", "Call-back: basically satisfied")
            }
            StepForm::Satisfaction(Satisfaction::Dissatisfied) => {
                ("回访：不满意（重新整改）", "Call-back: not satisfied (reopen)")
            }
            StepForm::Close => ("办结", "Close"),
            StepForm::Escalate => ("督办", "Escalate"),
        };
        if self.zh() { zh } else { en }
    }

    /// An event's name in an item's history.
    pub fn action(&self, action: &Action) -> &'static str {
        let (zh, en) = match action {
            Action::Register { .. } => ("登记", "Registered"),
            Action::Verify => ("核实", "Verify"),
            Action::FixAtOnce => ("立行立改", "Fixed at once"),
            Action::Rectify { .. } => ("限期整改", "Rectify by a deadline"),
            Action::Explain => ("解释说明", "Explain"),
            Action::RecordRectification => ("整改完成", "Rectification done"),
            Action::Appeal => ("提出申诉", "Appeal"),
            Action::UpholdAppeal => ("申诉成立", "Uphold the appeal"),
            Action::RejectAppeal { .. } => ("驳回申诉", "Reject the appeal"),
            Action::Reply => ("反馈", "Reply"),
            Action::Satisfaction { .. } => ("满意度评价", "Satisfaction"),
            Action::Close => ("办结", "Close"),
            Action::Escalate => ("督办", "Escalate"),
        };
        if self.zh() { zh } else { en }
    }

    /// What an entry of the audit log records.
    pub fn audit_action(&self, action: AuditAction) -> &'static str {
        use AuditAction as A;
        let (zh, en) = match action {
            A::SignIn => ("登录", "Signed in"),
            A::SignInFailed => ("登录失败", "Sign-in failed"),
            A::SignInLocked => ("登录被锁定", "Sign-in locked"),
            A::SignOut => ("退出", "Signed out"),
            A::AccountCreated => ("新建账号", "Account made"),
            A::AccountChanged => ("修改账号", "Account changed"),
            A::PasswordReset => ("重置密码", "Password reset"),
            A::CodeIssued => ("签发注册码", "Enrolment code issued"),
            A::DeviceRevoked => ("吊销设备", "Device revoked"),
            A::ReferenceImported => ("导入基础数据", "Reference data imported"),
            A::ReferenceChanged => ("修改基础数据", "Reference data changed"),
            A::CalendarImported => ("导入节假日", "Calendar imported"),
            A::CalendarDaySet => ("调整日历", "Calendar day set"),
            A::HallLimitsSet => ("设置办理时限", "Hall limits set"),
            A::LedgerStep => ("台账办理", "Ledger step"),
            A::LedgerLink => ("关联台账", "Items linked"),
            A::RevealPhone => ("查看完整电话", "Phone number revealed"),
            A::AlertAcknowledged => ("确认预警", "Alert acknowledged"),
            A::MonthClosed => ("月度结账", "Month closed"),
            A::MethodSet => ("修改考核方法", "Method changed"),
            A::FigureSettingsSet => ("修改考核设置", "Figure settings changed"),
            A::OfficerNominated => ("推选优秀体验官", "Officer nominated"),
            A::OfficerWithdrawn => ("撤回推选", "Nomination withdrawn"),
            A::RatingsExported => ("导出评价", "Ratings exported"),
            A::DiariesExported => ("导出日记", "Diaries exported"),
            A::ReportWritten => ("导出考核报表", "Report written"),
            A::UpwardResent => ("重新上报", "Sent to the province again"),
            A::PhonesErased => ("到期删除回访电话", "Call-back numbers erased after their time"),
            A::DatabaseRestored => ("从备份恢复数据库", "Database restored from a backup"),
        };
        if self.zh() { zh } else { en }
    }

    pub fn level(&self, l: tiyan_core::Level) -> &'static str {
        use tiyan_core::Level as L;
        let (zh, en) = match l {
            L::VeryDissatisfied => ("非常不满意", "Very dissatisfied"),
            L::Dissatisfied => ("不满意", "Dissatisfied"),
            L::BasicallySatisfied => ("基本满意", "Basically satisfied"),
            L::Satisfied => ("满意", "Satisfied"),
            L::VerySatisfied => ("非常满意", "Very satisfied"),
        };
        if self.zh() { zh } else { en }
    }

    /// An officer's problem category.
    pub fn problem_category(&self, key: &str) -> &'static str {
        let (zh, en) = match key {
            "window_signs" => ("窗口布局与标识", "Window layout and signs"),
            "process" => ("办事流程", "Process"),
            "environment" => ("环境卫生", "Environment and cleanliness"),
            "discipline" => ("工作纪律", "Staff discipline"),
            "online" => ("网上办事", "Online service"),
            "guide" => ("办事指南", "Service guide"),
            _ => ("其他", "Other"),
        };
        if self.zh() { zh } else { en }
    }

    /// What went wrong, in the reader's words; the server's own causes stay in its log.
    pub fn error(&self, e: &Error) -> String {
        let pick = |zh: &str, en: &str| if self.zh() { zh.to_string() } else { en.to_string() };
        match e {
            Error::NotFound(_) | Error::NoEndpoint => self.not_found.to_string(),
            Error::Forbidden(_) => self.forbidden.to_string(),
            Error::Stale => self.stale.to_string(),
            Error::WrongPassword => self.wrong_password.to_string(),
            Error::Locked { .. } => self.locked.to_string(),
            Error::Invalid(i) => self.invalid(i),
            Error::Step(s) => self.step_error(s),
            Error::Malformed(_) | Error::TooLarge(_) | Error::BodyTooLarge => {
                pick("请求格式不正确", "The request was not in a form this page sends")
            }
            Error::Unavailable(_) => self.unavailable.to_string(),
            _ => self.internal.to_string(),
        }
    }

    fn step_error(&self, e: &StepError) -> String {
        let (zh, en) = match e {
            StepError::NotAllowed { .. } => ("您的角色不能办理此步骤", "Your role may not take this step"),
            StepError::WrongState { .. } => {
                ("该条目当前状态下不能办理此步骤，请刷新后查看", "The item is not in a state for this step: look again")
            }
            StepError::NotAppealable => ("只有差评可以申诉", "Only a bad review can be appealed"),
            StepError::EmptyReply => ("反馈需要填写反馈内容", "A reply needs its text"),
            StepError::NoRegistration => ("该条目记录不完整", "The item's history is incomplete"),
        };
        if self.zh() { zh.to_string() } else { en.to_string() }
    }

    pub fn invalid(&self, i: &Invalid) -> String {
        let zh = match i {
            Invalid::NoteTooLong => "说明最多 2000 个字".to_string(),
            Invalid::LinkSelf => "不能与自身关联".to_string(),
            Invalid::RegistryYear(y) => format!("公布的数据只包含 2004–2026 年，不含 {y} 年"),
            Invalid::CalendarFile => "不是 holiday-cn 格式的节假日文件".to_string(),
            Invalid::Year(y) => format!("年份 {y} 超出范围"),
            Invalid::NoHolidays(y) => format!("文件中没有 {y} 年的节假日"),
            Invalid::Reference(r) => format!("基础数据有误：{r}"),
            Invalid::OfficerUnknown(o) => format!("体验官 {o} 不在基础数据中"),
            Invalid::PasswordTooShort => "密码至少 10 个字符".to_string(),
            Invalid::PasswordDigitsOnly => "密码不能全是数字".to_string(),
            Invalid::PasswordsDiffer => "两次输入的密码不一致".to_string(),
            Invalid::Login => "账号为 2–40 个字母、数字或 . - _".to_string(),
            Invalid::LoginTaken(l) => format!("账号 {l} 已被使用"),
            Invalid::HallForRole => {
                "督导管辖一个区域或全部；受理员属于一个大厅；管理员和查阅人属于一个大厅或一个区域".to_string()
            }
            Invalid::UnknownHall(h) => format!("大厅 {h} 不在基础数据中"),
            Invalid::UnknownRegion(r) => format!("区域 {r} 不在基础数据中"),
            Invalid::Division(d) => format!("{} 不是行政区划代码（GB/T 2260 六位，乡镇街道九位）", d.0),
            Invalid::UnknownWindow(w) => format!("窗口 {w} 不属于该大厅"),
            Invalid::Name => "姓名为 1–40 个字".to_string(),
            Invalid::OwnAccount => "不能修改自己账号的角色或状态".to_string(),
            Invalid::Pin => "个人密码为 4–12 位数字".to_string(),
            Invalid::Required(what) => format!("请填写 {what}"),
            Invalid::Value(what) => format!("{what} 的值无效"),
            Invalid::Photo => "照片无法读取（支持 JPEG、PNG、WebP）".to_string(),
            Invalid::Limit => "时限为 1–60 个工作日，复杂情况不少于一般整改时限".to_string(),
            Invalid::Hours => "有效期为 1–720 小时".to_string(),
            Invalid::Config(c) => c.clone(),
            Invalid::Method(tiyan_core::assessment::MethodError::Scores) => {
                "五个等级的分值须从 1 级到 5 级递增，每个在 0–100 之间，最高分大于 0".to_string()
            }
            Invalid::Method(tiyan_core::assessment::MethodError::PriorWeight) => "先验权重为 0–1000 条评价".to_string(),
            Invalid::Method(tiyan_core::assessment::MethodError::BottomPercent) => "末位比例为 1%–50%".to_string(),
            Invalid::MonthNotOver => "月份结束后才能结账".to_string(),
            Invalid::KioskPolicy(p) => match p {
                PolicyError::Hours => "开门时间须早于关门时间".to_string(),
                PolicyError::Lunch => "午休须在开门时间内，且开始早于结束".to_string(),
                PolicyError::Settings(SettingsError::Idle) => "无操作返回时间为 5–600 秒".to_string(),
                PolicyError::Settings(SettingsError::Interval) => "误触间隔为 0–600 秒".to_string(),
                PolicyError::Languages => "至少提供一种语言".to_string(),
            },
            Invalid::FigureSettings => {
                "最低评价数 1–1000；开门早于关门；静默 5–1440 分钟；预警 1–240 分钟、1–1000 条、1–100%；评价率 1–100%"
                    .to_string()
            }
        };
        if self.zh() { zh } else { i.to_string() }
    }

    /// `template` with `{name}` replaced.
    pub fn fill(&self, template: &str, name: &str, value: impl std::fmt::Display) -> String {
        template.replace(&format!("{{{name}}}"), &value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_there_in_both_languages_with_the_same_placeholders() {
        let (zh, en) = (all(&ZH), all(&EN));
        assert_eq!(zh.len(), en.len());
        let names = |s: &str| {
            let mut v: Vec<String> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string())).collect();
            v.sort();
            v
        };
        for ((key, a), (_, b)) in zh.iter().zip(&en) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty(), "{key} is empty in a language");
            assert_eq!(names(a), names(b), "{key}: placeholders differ");
        }
        for s in LedgerState::ALL {
            assert!(!ZH.state(&s).is_empty() && !EN.state(&s).is_empty());
        }
        // Steps, events and audit actions are enums matched exhaustively: a new
        // one without words does not compile; none may have empty words.
        for f in StepForm::ALL.into_iter().chain([StepForm::Escalate]) {
            assert!(!ZH.step(f).is_empty() && !EN.step(f).is_empty(), "{f:?}");
        }
        for a in AuditAction::ALL {
            assert!(!ZH.audit_action(a).is_empty() && !EN.audit_action(a).is_empty(), "{a:?}");
        }
        let satisfied = Action::Satisfaction { satisfaction: Satisfaction::Satisfied, reopen_days: 5 };
        for a in [Action::Register { verify_days: 1 }, Action::Escalate, satisfied] {
            assert!(!ZH.action(&a).is_empty() && !EN.action(&a).is_empty(), "{a:?}");
        }
    }
}
