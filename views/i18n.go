package views

import (
	"context"
	"strings"
)

// Languages the screens speak. The first is the default.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

type langKey struct{}

// WithLang returns a context whose components render in lang.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// Lang is the language components in ctx render in.
func Lang(ctx context.Context) string {
	if l, ok := ctx.Value(langKey{}).(string); ok && l == LangEN {
		return LangEN
	}
	return LangZH
}

// PickLang chooses the language for a request: the user's own setting, then
// the language chosen on this device, then the browser's Accept-Language,
// then Chinese.
func PickLang(user, cookie, acceptLanguage string) string {
	for _, l := range []string{user, cookie} {
		if l == LangZH || l == LangEN {
			return l
		}
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return LangZH
		case strings.HasPrefix(tag, "en"):
			return LangEN
		}
	}
	return LangZH
}

// T translates a message key for the language in ctx. Args are name, value
// pairs that fill {name} placeholders.
func T(ctx context.Context, key string, args ...string) string {
	return Translate(Lang(ctx), key, argMap(args))
}

func argMap(args []string) map[string]string {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]string, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i]] = args[i+1]
	}
	return m
}

// Translate renders a message key in a language. An unknown key renders as
// itself, so a missing translation shows up instead of an empty screen; the
// tests make sure none is missing. Pages show a message through Say, which
// marks its codes; Translate is the plain text (JSON errors, CSV, titles).
func Translate(lang, key string, args map[string]string) string {
	parts := messageParts(lang, key, args)
	if len(parts) == 1 {
		return parts[0].Text
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// textPart is a piece of a message as shown: words of the catalogue, or one
// of its arguments, which may be a code.
type textPart struct {
	Text string
	Code bool
}

// stateArgs are the arguments that carry a state as the domain names it
// (new, allocated, open, ...), by message, with the catalogue prefix of the
// state's words: shown in the user's words, while the API's args keep the
// domain's value for scripts.
var stateArgs = map[string]map[string]string{
	"order.locked":          {"state": "orderstate."},
	"order.cancel_too_late": {"state": "orderstate."},
	"pack.not_picked":       {"state": "orderstate."},
	"pack.not_packed":       {"state": "orderstate."},
	"pick.undo_too_late":    {"state": "orderstate."},
	"return.not_shipped":    {"state": "orderstate."},
	"task.not_active":       {"state": "taskstate."},
}

// messageParts renders a message key in a language as its words and
// arguments, each argument a part of its own, marked when it is a code.
func messageParts(lang, key string, args map[string]string) []textPart {
	pair, ok := catalog[key]
	if !ok {
		return []textPart{{Text: key}}
	}
	if one, ok := catalog[key+".one"]; ok && args["n"] == "1" {
		pair = one
	}
	s := pair[0]
	if lang == LangZH {
		s = pair[1]
	}
	var out []textPart
	words := func(w string) {
		if w != "" {
			out = append(out, textPart{Text: w})
		}
	}
	for len(args) > 0 {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			break
		}
		shut := strings.IndexByte(s[open:], '}')
		if shut < 0 {
			break
		}
		name := s[open+1 : open+shut]
		v, isArg := args[name]
		if prefix, ok := stateArgs[key][name]; ok && isArg {
			if _, known := catalog[prefix+v]; known {
				v = prefix + v
			}
		}
		if !isArg || strings.ContainsRune(name, '{') {
			words(s[:open+1])
			s = s[open+1:]
			continue
		}
		words(s[:open])
		s = s[open+shut+1:]
		if inner, isKey := catalog[v]; isKey { // a value that names a message (a kind of code, a status) in the user's words
			v = inner[0]
			if lang == LangZH {
				v = inner[1]
			}
			words(v)
			continue
		}
		if v != "" {
			out = append(out, textPart{Text: v, Code: IsCode(v)})
		}
	}
	words(s)
	if len(out) == 0 {
		return []textPart{{}}
	}
	return out
}

// MaxCodeLen is the longest argument taken for a code: 24 characters of the
// monospace code font still fit one line of a 360 px handheld in the larger
// type of the answer box.
const MaxCodeLen = 24

// IsCode is the one rule for which arguments of a message are codes
// (locations, lots, SKUs, dates, waybills, receipts, orders), shown whole on
// one line: up to MaxCodeLen printable ASCII characters without a space,
// holding a digit. A bare number under six digits is a figure (a quantity, a
// count), not a code; longer ones are (GTINs, GS1 dates like 270331). Names,
// words and longer strings (raw scans, event IDs) wrap as text. The page
// script applies the same rule (static/tally.js, isCode) to the messages it
// words itself, on the pick screen and for a scan not taken; change both
// together.
func IsCode(v string) bool {
	if v == "" || len(v) > MaxCodeLen {
		return false
	}
	digits := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c > '~' {
			return false
		}
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits > 0 && (digits < len(v) || len(v) >= 6)
}

// HasKey reports whether a message key has translations.
func HasKey(key string) bool { _, ok := catalog[key]; return ok }

// catalog holds every user-facing string: key -> {English, Chinese}. A
// message that counts says so with {n}; when English needs another word for
// one of something, key + ".one" holds that form and is used when n is 1
// (Chinese does not inflect, so its ".one" repeats the other form).
var catalog = map[string][2]string{
	// shell
	"app.name":         {"Tally", "Tally 仓储"},
	"app.home":         {"Home", "首页"},
	"app.logout":       {"Log out", "退出登录"},
	"app.keyboard":     {"Keyboard", "键盘输入"},
	"app.language":     {"中文", "English"},
	"app.submit":       {"OK", "确定"},
	"app.logged_in_as": {"{name} · {role}", "{name} · {role}"},
	"app.offline":      {"No network: {n} scans waiting", "网络断开：{n} 条扫描待发送"},
	"app.offline.one":  {"No network: {n} scan waiting", "网络断开：{n} 条扫描待发送"},
	// a scan that came while no scan box had focus, on a screen that has none
	"app.scan_not_taken": {"Scan not taken: this screen has no scan box. Tap what you want to do first (or Home), then scan {code} again.", "扫描未被接收：此页面没有扫描框。请先点击要做的操作（或“首页”），再扫描 {code}。"},

	// roles and kinds
	"role.picker":       {"Picker", "拣货员"},
	"role.packer":       {"Packer", "打包员"},
	"role.receiver":     {"Receiver", "收货员"},
	"role.supervisor":   {"Supervisor", "主管"},
	"role.admin":        {"Administrator", "管理员"},
	"kind.pick":         {"pick", "拣货位"},
	"kind.reserve":      {"reserve", "存储位"},
	"kind.dock":         {"dock", "月台"},
	"kind.quarantine":   {"quarantine", "待检区"},
	"kind.returns":      {"returns", "退货区"},
	"kind.damaged":      {"damaged", "残次区"},
	"kind.supplier":     {"return to supplier", "退供应商区"},
	"status.available":  {"available", "可用"},
	"status.quarantine": {"quarantine", "待检"},
	"status.hold":       {"on hold", "冻结"},
	"status.expired":    {"expired", "已过期"},

	// login
	"login.title":         {"Log in", "登录"},
	"login.badge":         {"Scan your badge", "请扫描工牌"},
	"login.pin":           {"PIN", "密码"},
	"login.submit":        {"Log in", "登录"},
	"login.unknown_badge": {"Badge {badge} is not known. Scan your own badge or ask a supervisor.", "工牌 {badge} 不存在。请扫描本人工牌或联系主管。"},
	"login.disabled":      {"Badge {badge} is disabled. Ask a supervisor.", "工牌 {badge} 已停用，请联系主管。"},
	"login.locked":        {"Too many wrong PINs: badge {badge} is locked for 15 minutes. Ask a supervisor.", "密码错误次数过多，工牌 {badge} 已锁定 15 分钟，请联系主管。"},
	"login.wrong_pin":     {"Wrong PIN. Try again; 5 wrong PINs lock the badge.", "密码错误，请重试；连续错误 5 次将锁定工牌。"},
	"login.pin_needed":    {"Now type your PIN.", "请输入密码。"},
	"login.badge_needed":  {"Scan your badge first.", "请先扫描工牌。"},
	"logout.done":         {"You are logged out.", "已退出登录。"},

	// PIN change
	"pin.title":         {"Change PIN", "修改密码"},
	"pin.must_change":   {"This PIN was for one use: choose your own now.", "当前为一次性密码，请设置新密码。"},
	"pin.current":       {"Current PIN", "当前密码"},
	"pin.new":           {"New PIN (4–8 digits)", "新密码（4–8 位数字）"},
	"pin.repeat":        {"New PIN again", "再次输入新密码"},
	"pin.changed":       {"PIN changed.", "密码已修改。"},
	"pin.format":        {"A PIN is 4 to 8 digits.", "密码须为 4–8 位数字。"},
	"pin.current_wrong": {"The current PIN is wrong.", "当前密码错误。"},
	"pin.same":          {"Choose a PIN different from the current one.", "新密码不能与当前密码相同。"},
	"pin.mismatch":      {"The two new PINs differ. Type them again.", "两次输入的新密码不一致，请重新输入。"},

	// home
	"home.title":      {"Menu", "菜单"},
	"menu.stock":      {"Stock lookup", "库存查询"},
	"menu.import":     {"Import / export", "导入 / 导出"},
	"menu.audit":      {"Login audit", "登录记录"},
	"menu.pin":        {"Change PIN", "修改密码"},
	"menu.stock_hint": {"Scan a location or an item", "扫描库位或商品"},

	// stock lookup
	"stock.title":        {"Stock lookup", "库存查询"},
	"stock.prompt":       {"Scan a location or an item", "请扫描库位或商品条码"},
	"stock.at_location":  {"Location {location} · {zone} · {kind}", "库位 {location} · {zone} 区 · {kind}"},
	"stock.of_sku":       {"{sku} {name}", "{sku} {name}"},
	"stock.empty_loc":    {"Location {location} is empty.", "库位 {location} 为空。"},
	"stock.none_of_sku":  {"No stock of {sku} anywhere.", "{sku} 当前无库存。"},
	"stock.col_sku":      {"SKU", "商品"},
	"stock.col_lot":      {"Lot", "批次"},
	"stock.col_expiry":   {"Expiry", "有效期至"},
	"stock.col_qty":      {"Qty", "数量"},
	"stock.col_location": {"Location", "库位"},
	"stock.total":        {"Total {qty}", "合计 {qty}"},
	"stock.code_unknown": {"{code} is neither a location nor an item we know. Scan the shelf label or the item's barcode.", "{code} 不是已知的库位或商品。请扫描货架标签或商品条码。"},
	"stock.code_kind":    {"{code} is a {kind} code. Scan a location or an item.", "{code} 是{kind}码。请扫描库位或商品。"},
	"stock.query_needed": {"Give ?sku= or ?location=.", "请提供 ?sku= 或 ?location= 参数。"},
	"stock.ambiguous":    {"{code} is an item of more than one owner: {owners}. Choose the owner and look again.", "{code} 是多个货主的商品：{owners}。请选择货主后再查询。"},
	"scankind.tote":      {"tote", "周转箱"},
	"scankind.badge":     {"badge", "工牌"},
	"scankind.order":     {"order", "订单"},
	"scankind.waybill":   {"waybill", "运单"},
	"scankind.gs1":       {"GS1 logistics", "GS1 物流"},

	// admin
	"import.title":          {"Import and export", "导入与导出"},
	"import.kind.skus":      {"SKUs", "商品资料"},
	"import.kind.locations": {"Locations", "库位"},
	"import.kind.staff":     {"Staff", "员工"},
	"import.kind.stock":     {"Opening stock", "期初库存"},
	"import.file":           {"CSV file (UTF-8 or GBK)", "CSV 文件（UTF-8 或 GBK）"},
	"import.upload":         {"Upload", "上传"},
	"import.export":         {"Export CSV", "导出 CSV"},
	"import.columns":        {"Columns: {columns}", "列：{columns}"},
	"import.done":           {"Imported {n} rows of {kind}.", "已导入 {kind} {n} 行。"},
	"import.done.one":       {"Imported {n} row of {kind}.", "已导入 {kind} {n} 行。"},
	"import.duplicate":      {"This upload was already applied; nothing changed.", "该文件已导入过，未作任何更改。"},
	"import.rows_invalid":   {"Bad rows: {count}. Nothing was imported: correct the file and upload all of it again.", "有 {count} 行错误，未导入任何数据。请修正后重新上传整个文件。"},
	"import.kind_unknown":   {"Unknown kind of file: {kind}.", "未知的导入类型：{kind}。"},
	"import.line":           {"Line {line}: {message}", "第 {line} 行：{message}"},
	"import.no_file":        {"Choose a file to upload.", "请选择要上传的文件。"},
	"audit.title":           {"Login audit", "登录记录"},
	"audit.col_time":        {"Time", "时间"},
	"audit.col_who":         {"Who", "人员"},
	"audit.col_result":      {"Result", "结果"},
	"audit.col_device":      {"Device", "设备"},
	"audit.ok":              {"logged in", "登录成功"},
	"audit.logout":          {"logged out", "退出登录"},

	// picking
	"menu.pick":                 {"Pick", "拣货"},
	"menu.pick_hint":            {"Next task, shelf by shelf", "按库位顺序拣货"},
	"menu.floor":                {"Floor and waves", "现场与波次"},
	"pick.title":                {"Pick", "拣货"},
	"pick.no_task":              {"You have no task in hand.", "您当前没有任务。"},
	"pick.next_task":            {"Next task", "领取下一个任务"},
	"pick.count":                {"Count", "输入数量"},
	"pick.short":                {"Short", "缺货"},
	"pick.undo":                 {"Undo", "撤销"},
	"pick.count_prompt":         {"How many more of this item?", "本商品还拣几件？"},
	"pick.short_prompt":         {"Why can't you pick it?", "无法拣货的原因？"},
	"pick.task_done":            {"Task complete.", "任务已完成。"},
	"pick.done_waiting":         {"Task complete; {n} scans still to send.", "任务已完成，还有 {n} 条扫描待发送。"},
	"pick.done_waiting.one":     {"Task complete; {n} scan still to send.", "任务已完成，还有 {n} 条扫描待发送。"},
	"pick.done_totes":           {"Take the totes {list} to packing.", "请将周转箱 {list} 送到打包台。"},
	"pick.done_totes.one":       {"Take the tote {list} to packing.", "请将周转箱 {list} 送到打包台。"},
	"pick.done_orders":          {"Take the items of orders {list} to packing.", "请将订单 {list} 的商品送到打包台。"},
	"pick.done_orders.one":      {"Take the items of order {list} to packing.", "请将订单 {list} 的商品送到打包台。"},
	"pick.done_putback":         {"Everything is back on its shelf.", "商品已全部归还上架。"},
	"pick.done_nothing":         {"Nothing was picked, so nothing goes to packing.", "未拣到任何商品，无需送往打包台。"},
	"pick.list_sep":             {", ", "、"},
	"pick.step_location":        {"Go to the location and scan its label", "请前往库位并扫描库位标签"},
	"pick.step_item":            {"Scan the item", "请扫描商品"},
	"pick.step_tote":            {"Put {qty} into the tote of order {order} and scan the tote", "将 {qty} 件放入订单 {order} 的周转箱并扫描周转箱"},
	"pick.step_putback":         {"Put back: scan the location, then the item", "归还：请扫描库位，再扫描商品"},
	"pick.order_tote":           {"Order {order} · tote {tote}", "订单 {order} · 周转箱 {tote}"},
	"pick.qty_line":             {"{done} of {qty}", "{done} / {qty}"},
	"pick.picked":               {"Picked {qty} × {sku}.", "已拣 {sku} 共 {qty} 件。"},
	"pick.picked_tote":          {"Picked {qty} × {sku} into tote {tote}.", "已拣 {sku} 共 {qty} 件，放入周转箱 {tote}。"},
	"pick.meta":                 {"Lot {lot} · expires {expiry}", "批次 {lot} · 有效期至 {expiry}"},
	"pick.progress":             {"Line {n} of {total}", "第 {n} 行，共 {total} 行"},
	"pick.scan_item_first":      {"Scan one item first, then type the count.", "请先扫描一件商品，再输入数量。"},
	"pick.count_invalid":        {"Only {n} left to pick on this line: type a number from 1 to {n}.", "本行只剩 {n} 件待拣：请输入 1 到 {n} 之间的数字。"},
	"pick.count_invalid.one":    {"Only 1 left to pick on this line: type 1.", "本行只剩 1 件待拣：请输入 1。"},
	"pick.refused":              {"The server refused a scan.", "服务器拒绝了一次扫描。"},
	"pick.undone":               {"Last scan undone.", "已撤销上一次扫描。"},
	"pick.nothing_to_undo":      {"Nothing to undo.", "没有可撤销的扫描。"},
	"pick.wrong_location":       {"Wrong location {location}: go to {want}.", "库位错误 {location}：请前往 {want}。"},
	"pick.item_not_location":    {"That is an item: scan the location {want} first.", "这是商品条码：请先扫描库位 {want}。"},
	"pick.tote_not_location":    {"That is tote {tote}: scan the location {want} first.", "这是周转箱 {tote}：请先扫描库位 {want}。"},
	"pick.not_location":         {"{code} is not a location label: scan the location {want}.", "{code} 不是库位标签：请扫描库位 {want}。"},
	"pick.wrong_item":           {"Wrong item: this is not {name}. Put it back.", "商品错误：不是 {name}，请放回。"},
	"pick.location_again":       {"That is the location again: now scan the item {name}.", "这是刚扫过的库位：请扫描商品 {name}。"},
	"pick.location_not_item":    {"That is location {location}, not an item: scan {name} at {want}.", "这是库位 {location}，不是商品：请在 {want} 扫描 {name}。"},
	"pick.tote_not_item":        {"That is tote {tote}: first scan the item {name}.", "这是周转箱 {tote}：请先扫描商品 {name}。"},
	"pick.not_item":             {"{code} is not an item barcode: scan {name}.", "{code} 不是商品条码：请扫描 {name}。"},
	"pick.wrong_tote":           {"Wrong tote {tote}: this order's tote is {want}.", "周转箱错误 {tote}：该订单的周转箱是 {want}。"},
	"pick.tote_now":             {"All {n} are picked already: put them into the tote of order {order} and scan the tote now.", "{n} 件已全部拣好：请放入订单 {order} 的周转箱，并扫描周转箱。"},
	"pick.tote_now.one":         {"The item is picked already: put it into the tote of order {order} and scan the tote now.", "商品已拣好：请放入订单 {order} 的周转箱，并扫描周转箱。"},
	"pick.location_not_tote":    {"That is location {location}, not a tote: scan the tote of order {order}.", "这是库位 {location}，不是周转箱：请扫描订单 {order} 的周转箱。"},
	"pick.item_not_tote":        {"That is another item, not a tote: scan the tote of order {order}.", "这是其他商品，不是周转箱：请扫描订单 {order} 的周转箱。"},
	"pick.not_tote":             {"{code} is not a tote label: scan the tote of order {order}.", "{code} 不是周转箱标签：请扫描订单 {order} 的周转箱。"},
	"pick.tote_needed":          {"Scan the tote for order {order}.", "请扫描订单 {order} 的周转箱。"},
	"pick.tote_in_use":          {"Tote {tote} holds another order. Take an empty tote.", "周转箱 {tote} 已装有其他订单，请换一个空箱。"},
	"pick.not_a_tote":           {"{code} is not a tote label.", "{code} 不是周转箱标签。"},
	"pick.not_an_item":          {"{code} is not an item barcode.", "{code} 不是商品条码。"},
	"pick.too_many":             {"Only {open} left to pick on this line, not {qty}.", "本行只剩 {open} 件待拣，不是 {qty} 件。"},
	"pick.qty_invalid":          {"The quantity is not valid.", "数量无效。"},
	"pick.mixed_lots":           {"Scan one lot at a time.", "请一次只扫描同一批次。"},
	"pick.lot_unknown":          {"Lot {lot} of {sku} is not known here. Pick the lot shown.", "{sku} 的批次 {lot} 未登记，请拣显示的批次。"},
	"pick.lot_expired":          {"Lot {lot} expired on {expiry}: do not pick it. Tell a supervisor.", "批次 {lot} 已于 {expiry} 过期，不可拣货，请告知主管。"},
	"pick.lot_short_life":       {"Lot {lot} (expires {expiry}) has too little shelf life left for this order. Pick the lot shown.", "批次 {lot}（有效期至 {expiry}）剩余保质期不足，请拣显示的批次。"},
	"pick.lot_hold":             {"Lot {lot} is on hold: do not pick it.", "批次 {lot} 已冻结，不可拣货。"},
	"pick.lot_quarantine":       {"Lot {lot} is in quarantine: do not pick it.", "批次 {lot} 处于待检状态，不可拣货。"},
	"pick.lot_not_here":         {"Not enough free stock of lot {lot} at {location}. Pick the lot shown.", "{location} 的批次 {lot} 可用库存不足，请拣显示的批次。"},
	"pick.fefo_skip":            {"Lot {earlier} on this shelf expires first ({expiry}): pick that before {lot}.", "本货架的批次 {earlier} 更早过期（{expiry}），请先拣它，而不是 {lot}。"},
	"pick.undo_nothing":         {"Nothing to undo.", "没有可撤销的扫描。"},
	"pick.undo_too_late":        {"Order {order} is already {state}: it cannot be undone here.", "订单 {order} 已{state}，无法在此撤销。"},
	"short.empty":               {"Shelf empty", "货架为空"},
	"short.damaged":             {"Damaged", "商品破损"},
	"short.wrong_item":          {"Wrong item on shelf", "货架商品不符"},
	"short.cannot_reach":        {"Cannot reach", "无法够到"},
	"short.reason_invalid":      {"Choose a reason for the short pick.", "请选择缺货原因。"},
	"short.nothing_open":        {"Nothing is left to pick on this line.", "本行已无待拣数量。"},
	"task.none":                 {"No tasks waiting. Ask a supervisor to release a wave.", "暂无任务，请主管下发波次。"},
	"task.busy":                 {"Other pickers took the tasks first. Try again.", "任务已被其他拣货员领取，请重试。"},
	"backup.title":              {"Backup", "备份"},
	"backup.hint":               {"A consistent copy of the whole store, taken while the floor keeps working. Keep it on another machine. To restore: stop Tally and put the file in the data directory as tally.db.", "整个数据库的一致副本，备份时现场照常作业。请保存到另一台机器。恢复：停止 Tally，把文件放到数据目录并命名为 tally.db。"},
	"backup.download":           {"Download a backup", "下载备份"},
	"task.already_active":       {"You already have a task in hand: finish it first.", "您手上已有任务，请先完成。"},
	"task.not_found":            {"Task {task} is not known.", "任务 {task} 不存在。"},
	"task.taken":                {"Task {task} was taken by someone else.", "任务 {task} 已被他人领取。"},
	"task.not_active":           {"Task {task} is {state}, not in progress.", "任务 {task} 状态为 {state}，不在进行中。"},
	"task.not_yours":            {"Task {task} belongs to {actor}.", "任务 {task} 属于 {actor}。"},
	"task.wrong_kind":           {"Task {task} is not that kind of task.", "任务 {task} 类型不符。"},
	"task.line_not_found":       {"Task {task} has no line {line}.", "任务 {task} 没有第 {line} 行。"},
	"taskkind.pick":             {"pick", "拣货"},
	"taskkind.putback":          {"put back", "归还上架"},
	"taskkind.count":            {"count", "盘点"},
	"taskstate.open":            {"waiting", "待领取"},
	"taskstate.active":          {"in progress", "进行中"},
	"taskstate.done":            {"done", "已完成"},
	"taskstate.cancelled":       {"cancelled", "已取消"},
	"order.no_invalid":          {"Order number {order} is not valid.", "订单号 {order} 无效。"},
	"order.channel_invalid":     {"Order {order}: the channel (or platform) is missing or not valid.", "订单 {order}：渠道（或平台）缺失或无效。"},
	"order.recipient_invalid":   {"Order {order}: recipient name, phone and address are needed.", "订单 {order}：需要收件人姓名、电话和地址。"},
	"order.no_lines":            {"Order {order} has no lines.", "订单 {order} 没有商品行。"},
	"order.priority_invalid":    {"Order {order}: priority is 0 to 9.", "订单 {order}：优先级须为 0–9。"},
	"order.carrier_invalid":     {"Order {order}: the carrier code is not valid.", "订单 {order}：承运商代码无效。"},
	"order.too_long":            {"Order {order}: shop or notes are too long.", "订单 {order}：店铺或备注过长。"},
	"order.qty_invalid":         {"Order {order}: quantity {qty} of {sku} is not valid.", "订单 {order}：{sku} 的数量 {qty} 无效。"},
	"order.locked":              {"Order {order} is already {state}; it can no longer be changed.", "订单 {order} 已{state}，不能再修改。"},
	"order.not_found":           {"Order {order} is not known.", "订单 {order} 不存在。"},
	"order.owner_twice":         {"Order {order} is named as {owner}'s and asked for as {query}'s: name its owner once.", "订单 {order} 写明属于 {owner}，查询参数却是 {query}：货主只需写一次。"},
	"order.cancel_too_late":     {"Order {order} is already {state}: it cannot be cancelled in the warehouse.", "订单 {order} 已{state}，仓库内无法取消。"},
	"order.platform_invalid":    {"Order {order}: platform {platform} is not known. Use one of: {platforms}.", "订单 {order}：平台 {platform} 未知，请使用：{platforms}。"},
	"order.too_many_merged":     {"Order {order}: too many platform orders ({given}); at most {max} can be merged into one.", "订单 {order} 包含 {given} 个平台订单，一单最多合并 {max} 个。"},
	"order.platform_id_invalid": {"Order {order}: platform order ID {id} is not valid (1–64 characters, no spaces).", "订单 {order}：平台订单号 {id} 无效（1–64 个字符，不含空格）。"},
	"order.platform_id_twice":   {"Order {order}: platform order ID {id} is listed twice.", "订单 {order}：平台订单号 {id} 重复。"},
	"order.line_order_unknown":  {"Order {order}: the line of {sku} names platform order {id}, which is not among the order's platform orders.", "订单 {order}：{sku} 所在行的平台订单 {id} 不在本单的平台订单中。"},
	"order.sub_order_invalid":   {"Order {order}: sub-order ID {id} of {sku} is not valid (1–64 characters, no spaces).", "订单 {order}：{sku} 的子订单号 {id} 无效（1–64 个字符，不含空格）。"},
	"order.sub_order_twice":     {"Order {order}: sub-order ID {id} is on two lines.", "订单 {order}：子订单号 {id} 出现在两行。"},
	"order.parts_invalid":       {"Order {order}: the sub-order parts of {sku} do not add up to its quantity, or repeat a sub-order.", "订单 {order}：{sku} 的子订单分项与数量不符或重复。"},
	"wave.mode_invalid":         {"The wave mode is single or cluster.", "波次方式须为单单拣或多单拣。"},
	"wave.cluster_invalid":      {"A cluster holds 1 to 12 orders.", "多单拣每次 1–12 单。"},
	"wave.no_orders":            {"No new orders match.", "没有符合条件的新订单。"},
	"wave.nothing_allocated":    {"None of the orders could be allocated. Waiting for stock: {count}.", "所有订单均无法分配库存：{count} 单等待补货。"},
	"wave.not_found":            {"Wave {wave} is not known.", "波次 {wave} 不存在。"},
	"wave.released":             {"Wave {wave} released. Orders: {orders} · tasks: {tasks} · waiting for stock: {waiting}.", "波次 {wave}：{orders} 单，{tasks} 个任务；{waiting} 单等待补货。"},
	"wave.mode":                 {"Picking", "拣货方式"},
	"wave.mode.cluster":         {"Cluster (several orders, one tote each)", "多单拣（每单一个周转箱）"},
	"wave.mode.single":          {"Single order", "单单拣"},
	"wave.cluster_size":         {"Orders per cluster", "每次拣货单数"},
	"wave.carrier":              {"Carrier", "承运商"},
	"wave.any":                  {"any", "不限"},
	"wave.no_carrier":           {"(no carrier)", "（无承运商）"},
	"wave.lines":                {"Order lines", "订单行数"},
	"wave.lines.single":         {"single-line orders", "单品订单"},
	"wave.lines.multi":          {"multi-line orders", "多品订单"},
	"wave.due_hours":            {"Due within hours (empty: all)", "几小时内需发货（空=全部）"},
	"wave.max_orders":           {"At most orders", "最多订单数"},
	"wave.release":              {"Release wave", "下发波次"},
	"wave.owner_only":           {"Only {owner}'s orders, as this page is filtered.", "只下发{owner}的订单（与本页筛选一致）。"},
	"wave.auto":                 {"Auto-wave: release by carrier when enough orders wait or one is due", "自动波次：按承运商，订单够多或临近截单时自动下发"},
	"settings.partial_ship":     {"Ship what is in stock, back-order the rest", "有货先发，缺货部分待补"},
	"settings.partial_invalid":  {"Partial allocation is wait or ship.", "部分分配策略须为等待或先发。"},
	"settings.autowave_invalid": {"The auto-wave rule is not valid.", "自动波次规则无效。"},
	"floor.title":               {"Floor", "现场"},
	"floor.new_orders":          {"{n} new orders", "{n} 个新订单"},
	"floor.new_orders.one":      {"{n} new order", "{n} 个新订单"},
	"floor.tasks":               {"Tasks", "任务"},
	"floor.task_progress":       {"Units left: {open} of {total} · orders: {orders}", "剩余 {open}/{total} 件 · {orders} 单"},
	"floor.kpis":                {"Today", "今日"},
	"carrier.SF":                {"SF Express", "顺丰速运"},
	"carrier.JD":                {"JD Logistics", "京东物流"},
	"carrier.YT":                {"YTO Express", "圆通速递"},
	"carrier.ZTO":               {"ZTO Express", "中通快递"},
	"kpi.who":                   {"Who", "人员"},
	"kpi.lines":                 {"Lines", "行数"},
	"kpi.units":                 {"Units", "件数"},
	"kpi.errors":                {"Wrong scans", "错误扫描"},
	"kpi.shorts":                {"Shorts", "缺货"},
	"stock.below_reserved":      {"{sku} {lot} at {location} is reserved for orders ({reserved}); stock cannot go below that.", "{location} 的 {sku} {lot} 已有 {reserved} 件被订单占用，库存不能低于此数。"},
	"stock.reserved_negative":   {"Reservations of {sku} {lot} at {location} are inconsistent. Tell a supervisor.", "{location} 的 {sku} {lot} 占用数据异常，请告知主管。"},
	"csv.not_time":              {"{column} must be a time like 2026-11-11 18:00, not “{value}”.", "{column} 须为时间，如 2026-11-11 18:00，而不是“{value}”。"},
	"http.bad_json":             {"The JSON body is not valid: {detail}", "JSON 请求体无效：{detail}"},
	"form.not_number":           {"{field} must be a whole number, not “{value}”.", "{field} 须为整数，而不是“{value}”。"},
	"import.kind.orders":        {"Orders", "订单"},

	// receiving, lots, recall, counts, moves, trace
	"menu.receive":                  {"Receive", "收货"},
	"menu.receive_hint":             {"Deliveries, lots and expiry", "到货、批次与效期"},
	"menu.move":                     {"Move stock", "移库"},
	"menu.count":                    {"Count", "盘点"},
	"menu.expiry":                   {"Expiry control", "效期管理"},
	"menu.recall":                   {"Recall", "召回"},
	"menu.trace":                    {"Trace a lot", "批次追溯"},
	"receive.title":                 {"Receive", "收货"},
	"receive.blind":                 {"Delivery without notice (blind)", "无预约到货（盲收）"},
	"receive.blind_tag":             {"without notice", "盲收"},
	"receive.scan_item":             {"Scan an item of the delivery", "请扫描到货商品"},
	"receive.item_hint":             {"Item barcode", "商品条码"},
	"receive.location_hint":         {"Location code", "库位条码"},
	"receive.scanned":               {"{sku} {name}", "{sku} {name}"},
	"receive.date_unreadable":       {"{sku} {name}: the barcode's date {value} is no real date. Type the expiry from the pack.", "{sku} {name}：条码中的日期 {value} 无效，请按包装上的有效期输入。"},
	"receive.expiry_typed":          {"Expiry (as on the pack, e.g. {example} or {gs1})", "有效期（按包装填写，如 {example} 或 {gs1}）"},
	"receive.qty":                   {"Quantity (each scan counts one; type a case's)", "数量（每扫一件加一，整箱可直接输入）"},
	"receive.scan_more":             {"Scan next unit", "扫描下一件"},
	"receive.counted":               {"{sku}: {qty} counted. Scan the next unit, or confirm.", "{sku} 已点 {qty} 件。继续扫描或确认收货。"},
	"receive.next_waiting":          {"Next: {sku}, scanned; it comes up once this is put away.", "下一件 {sku} 已扫描，上架后继续。"},
	"receive.location":              {"Put at (dock or quarantine)", "放置位置（月台或待检区）"},
	"receive.confirm":               {"Receive", "确认收货"},
	"receive.done":                  {"Received {qty} × {sku} lot {lot}.", "已收货 {sku} 批次 {lot} 共 {qty} 件。"},
	"receive.done_no_lot":           {"Received {qty} × {sku}.", "已收货 {sku} 共 {qty} 件。"},
	"receive.quarantined":           {"Received {qty} × {sku} into quarantine at {location}: too little shelf life left.", "{sku} 共 {qty} 件剩余保质期不足，已收入待检区 {location}。"},
	"receive.putaway_to":            {"Put away to {location}, then scan the location", "请上架至 {location}，并扫描库位确认"},
	"receive.put_away":              {"Put away {qty} × {sku} at {location}.", "已将 {sku} 共 {qty} 件上架至 {location}。"},
	"receive.shelf_item":            {"That is an item ({sku} {name}), not a shelf: scan the shelf {want} to put it away.", "这是商品（{sku} {name}），不是库位：请扫描库位 {want} 上架。"},
	"receive.shelf_item_any":        {"That is an item ({sku} {name}), not a shelf: scan the shelf you put it on.", "这是商品（{sku} {name}），不是库位：请扫描上架的库位。"},
	"receive.shelf_code":            {"{code} is not a shelf ({kind} label): scan the shelf {want} to put it away.", "{code} 是{kind}标签，不是库位：请扫描库位 {want} 上架。"},
	"receive.shelf_code_any":        {"{code} is not a shelf ({kind} label): scan the shelf you put it on.", "{code} 是{kind}标签，不是库位：请扫描上架的库位。"},
	"receive.expected":              {"Due", "预期"},
	"receive.received":              {"In", "实收"},
	"receive.variance":              {"±", "差异"},
	"receive.n_quarantined":         {"{n} in quarantine", "{n} 件待检"},
	"receive.n_refused":             {"{n} refused", "{n} 件拒收"},
	"receive.close":                 {"Close receipt", "完成收货"},
	"receive.closed":                {"Receipt {receipt} closed.", "收货单 {receipt} 已完成。"},
	"receive.is_closed":             {"This receipt is closed: nothing more can be received on it.", "此收货单已完成，不能再收货。"},
	"receive.next_blind":            {"Next delivery without notice", "下一车无预约到货（盲收）"},
	"receive.other_deliveries":      {"Other deliveries", "其他到货"},
	"receive.scan_next":             {"Next delivery: scan its receipt number, or its first item if it came without notice", "下一车到货：请扫描收货单号；无预约到货请直接扫描第一件商品"},
	"receive.next_hint":             {"Receipt or item", "收货单或商品"},
	"receive.not_item_or_receipt":   {"{code} is neither an item nor a receipt: scan the delivery's receipt number or its first item.", "{code} 既不是商品也不是收货单：请扫描收货单号或到货的第一件商品。"},
	"receive.announced":             {"{sku} is announced on receipt {receipt}: scan or tap {receipt} to receive it there.", "{sku} 已在收货单 {receipt} 中预约：请扫描或点选 {receipt} 按单收货。"},
	"receive.blind_owner":           {"Whose goods (owner)", "货主（谁的货）"},
	"receive.receipt_ambiguous":     {"Receipt {receipt} is on the books of more than one owner ({owners}): tap the delivery that came.", "收货单 {receipt} 属于多个货主（{owners}）：请点选到货的那一单。"},
	"receive.gtin_ambiguous":        {"Barcode {gtin} is on items of more than one owner ({owners}): scan the delivery's receipt number, or start a delivery without notice and choose whose goods they are.", "条码 {gtin} 属于多个货主（{owners}）的商品：请扫描收货单号，或开始无预约到货并选择货主。"},
	"receive.not_owners_item":       {"Barcode {gtin} is no item of {owner}, whose delivery this is. Put it aside and tell a supervisor.", "条码 {gtin} 不是本单货主 {owner} 的商品。请将商品放在一边并告知主管。"},
	"receive.warn_refuse":           {"Too little shelf life left: this lot will be refused.", "剩余保质期不足：该批次将被拒收。"},
	"receive.warn_quarantine":       {"Too little shelf life left: this lot goes to quarantine.", "剩余保质期不足：该批次将进入待检区。"},
	"receive.short_life":            {"Refused: lot {lot} of {sku} expires {expiry}, less than {pct} % of its shelf life left. Hand it back to the driver.", "拒收：{sku} 批次 {lot} 有效期至 {expiry}，剩余保质期不足 {pct}%。请退回司机。"},
	"receive.needs_quarantine":      {"Lot {lot} of {sku} is short-dated: receive it into a quarantine location.", "{sku} 批次 {lot} 临期：请收入待检库位。"},
	"receive.qty_invalid":           {"Quantity {qty} is not valid.", "数量 {qty} 无效。"},
	"receipt.id_invalid":            {"Receipt number {receipt} is not valid.", "收货单号 {receipt} 无效。"},
	"receipt.supplier_invalid":      {"Receipt {receipt} needs a supplier.", "收货单 {receipt} 缺少供应商。"},
	"receipt.no_lines":              {"Receipt {receipt} has no lines.", "收货单 {receipt} 没有明细。"},
	"receipt.exists":                {"Receipt {receipt} already exists.", "收货单 {receipt} 已存在。"},
	"receipt.not_found":             {"Receipt {receipt} is not known.", "收货单 {receipt} 不存在。"},
	"receipt.closed":                {"Receipt {receipt} is closed.", "收货单 {receipt} 已关闭。"},
	"import.kind.receipts":          {"Expected receipts (ASN)", "预约到货（ASN）"},
	"putaway.no_place":              {"No free place for {sku}: ask a supervisor where it goes.", "{sku} 没有空闲库位，请询问主管。"},
	"lot.not_found":                 {"Lot {lot} of {sku} is not known.", "{sku} 的批次 {lot} 不存在。"},
	"lot.reason_needed":             {"Give a reason: it goes into the lot's history.", "请填写原因：它会记入批次历史。"},
	"lot.status_invalid":            {"Status {status} is not valid.", "状态 {status} 无效。"},
	"serial.invalid":                {"Serial {serial} is not valid.", "序列号 {serial} 无效。"},
	"serial.not_found":              {"Serial {serial} has not left the warehouse.", "序列号 {serial} 未出库。"},
	"sku.short_life_action_invalid": {"SKU {sku}: short-life action is refuse or quarantine, not {value}.", "商品 {sku}：临期处理须为 refuse 或 quarantine，而不是 {value}。"},
	"pick.serial_held":              {"Can {serial} is on hold (recall): put it aside and tell a supervisor.", "序列号 {serial} 已冻结（召回），请放在一边并告知主管。"},
	"pick.count_serial":             {"Each unit of this item has a serial number of its own: scan every unit, do not count them.", "该商品每件都有自己的序列号：请逐件扫描，不要输入数量。"},
	"pick.serial_twice":             {"Serial {serial} was already picked: this code is a copy. Put it aside and tell a supervisor.", "序列号 {serial} 已被拣过：该码可能是复制码。请放在一边并告知主管。"},
	"pick.serial_double_read":       {"Can {serial} is scanned already (read twice): scan the next can.", "序列号 {serial} 这一罐已扫过（重复读取）：请扫描下一罐。"},
	"recall.title":                  {"Recall", "召回"},
	"recall.serials":                {"Only these serials (optional, separated by spaces)", "仅召回这些序列号（可选，用空格分隔）"},
	"recall.reason":                 {"Reason", "原因"},
	"recall.submit":                 {"Put on hold everywhere", "全部冻结"},
	"recall.held_by":                {"Put on hold by {name} at {at}: {reason}", "{name} 于 {at} 冻结：{reason}"},
	"recall.done":                   {"{sku} lot {lot} is on hold; orders were moved to other lots.", "{sku} 批次 {lot} 已冻结，订单已改配其他批次。"},
	"recall.report_title":           {"Recall report", "召回报告"},
	"recall.label.locations":        {"Still in the warehouse", "库内剩余"},
	"recall.label.orders":           {"Orders that took it", "已出库订单"},
	"recall.label.location":         {"Location", "库位"},
	"recall.label.zone":             {"Zone", "库区"},
	"recall.label.qty":              {"Qty", "数量"},
	"recall.label.order":            {"Order", "订单"},
	"recall.label.channel":          {"Channel", "渠道"},
	"recall.label.state":            {"State", "状态"},
	"recall.label.picked":           {"Units", "件数"},
	"recall.label.waybill":          {"Waybill", "运单号"},
	"recall.label.none":             {"None", "无"},
	"recall.label.total":            {"Total", "合计"},
	"recall.label.sku":              {"SKU", "商品"},
	"recall.label.lot":              {"Lot", "批次"},
	"recall.label.expiry":           {"Expiry", "有效期"},
	"recall.label.status":           {"Status", "状态"},
	"recall.label.reason":           {"Reason", "原因"},
	"recall.label.generated":        {"Generated", "生成时间"},
	"recall.label.page":             {"Page", "页"},
	"print.no_font":                 {"No Chinese font for PDFs: {detail}", "缺少 PDF 中文字体：{detail}"},
	"orderstate.new":                {"new", "新订单"},
	"orderstate.allocated":          {"allocated", "已分配"},
	"orderstate.picking":            {"picking", "拣货中"},
	"orderstate.picked":             {"picked", "已拣货"},
	"orderstate.packed":             {"packed", "已打包"},
	"orderstate.shipped":            {"shipped", "已发货"},
	"orderstate.cancelled":          {"cancelled", "已取消"},
	"menu.orders":                   {"Look up an order", "查询订单"},
	"order.title":                   {"Order", "订单"},
	"order.prompt":                  {"Scan or type the order number", "扫描或输入订单号"},
	"order.state":                   {"State", "状态"},
	"order.channel":                 {"Channel", "渠道"},
	"order.platform":                {"Platform", "平台"},
	"order.shop":                    {"Shop", "店铺"},
	"order.platform_orders":         {"Platform orders", "平台订单号"},
	"order.platform_order":          {"Platform order", "平台订单"},
	"order.sub_order":               {"Sub-order", "子订单"},
	"order.lines":                   {"Lines", "商品"},
	"order.picked_of":               {"{picked} of {qty} picked", "已拣 {picked} / {qty}"},
	"order.part_qty":                {"{qty} of them", "其中 {qty} 件"},
	"order.not_named":               {"not named", "未注明"},
	"order.which_owner":             {"Order number {order} belongs to more than one owner: {owners}. Choose whose order to open.", "订单号 {order} 同时属于多个货主：{owners}。请选择要查看哪个货主的订单。"},
	"order.state_invalid":           {"State {state} is not one of: {states}.", "状态 {state} 无效，应为：{states}。"},
	"order.list":                    {"Orders", "订单列表"},
	"order.list_none":               {"No orders match.", "没有符合条件的订单。"},
	"order.list_more":               {"The first {n} are shown.", "仅显示前 {n} 个。"},
	"order.col_order":               {"Order", "订单"},
	"order.col_lines":               {"Lines", "行数"},
	"order.col_received":            {"Received", "接单时间"},
	"platform.TB":                   {"Taobao", "淘宝"},
	"platform.TM":                   {"Tmall", "天猫"},
	"platform.JD":                   {"JD.com", "京东"},
	"platform.PDD":                  {"Pinduoduo", "拼多多"},
	"platform.DY":                   {"Douyin", "抖音"},
	"platform.KS":                   {"Kuaishou", "快手"},
	"platform.XHS":                  {"Xiaohongshu", "小红书"},
	"platform.WX":                   {"WeChat shop", "微信小店"},
	"platform.VIP":                  {"Vipshop", "唯品会"},
	"platform.SHOPIFY":              {"Shopify", "Shopify"},
	"platform.AMAZON":               {"Amazon", "亚马逊"},
	"platform.OWN":                  {"own shop", "自有商城"},
	"trace.title":                   {"Trace", "追溯"},
	"trace.serial":                  {"or a serial", "或序列号"},
	"trace.lot":                     {"{sku} lot {lot}, expires {expiry}", "{sku} 批次 {lot}，有效期至 {expiry}"},
	"trace.serial_in":               {"Serial {serial} ({sku} lot {lot}) left in order {order}", "序列号 {serial}（{sku} 批次 {lot}）随订单 {order} 出库"},
	"trace.query_needed":            {"Give ?sku= and ?lot=, or ?serial=.", "请提供 ?sku= 和 ?lot=，或 ?serial=。"},
	"trace.master.imported":         {"Opening stock loaded", "导入期初库存"},
	"trace.stock.adjusted":          {"Stock adjusted by {delta} at {location} ({reason})", "{location} 库存调整 {delta}（{reason}）"},
	"trace.stock.received":          {"Received {qty} at {location} (receipt {receipt})", "收货 {qty} 件至 {location}（收货单 {receipt}）"},
	"trace.stock.moved":             {"Moved {qty} from {from} to {to}", "从 {from} 移至 {to}，{qty} 件"},
	"trace.wave.released":           {"Allocated to {order}", "分配给订单 {order}"},
	"trace.pick.scanned":            {"Picked {qty} at {location} into order {order}", "在 {location} 拣 {qty} 件至订单 {order}"},
	"trace.pick.undone":             {"A pick was undone", "撤销一次拣货"},
	"trace.pick.short":              {"Short pick reported ({reason})", "报告缺货（{reason}）"},
	"trace.order.cancelled":         {"Order {order} cancelled: units to go back", "订单 {order} 取消：商品待归还"},
	"trace.putback.scanned":         {"Put back {qty} at {location}", "归还 {qty} 件至 {location}"},
	"trace.lot.status":              {"Status set to {status} ({reason})", "状态改为 {status}（{reason}）"},
	"trace.lot.recalled":            {"Recalled: on hold ({reason})", "召回：已冻结（{reason}）"},
	"trace.lots.swept":              {"Marked expired by the daily sweep", "每日效期检查标记为过期"},
	"trace.count.submitted":         {"Counted at {location}", "在 {location} 盘点"},
	"trace.count.decided":           {"Count adjustment decided", "盘点差异已审批"},
	"expiry.title":                  {"Expiry control", "效期管理"},
	"expiry.to_quarantine":          {"Move all of these to quarantine", "全部移至待检区"},
	"expiry.sweep":                  {"Run the expiry check now", "立即执行效期检查"},
	"expiry.swept":                  {"{n} lots marked expired.", "{n} 个批次已标记为过期。"},
	"expiry.swept.one":              {"{n} lot marked expired.", "{n} 个批次已标记为过期。"},
	"expiry.tasks_made":             {"Move tasks made: they appear on the move screen's list.", "已生成移库任务。"},
	"lot.expired_ago":               {"expired {days} days ago", "已过期 {days} 天"},
	"lot.expired_yesterday":         {"expired yesterday", "昨天已过期"},
	"lot.expires_today":             {"expires today", "今天到期"},
	"lot.expires_tomorrow":          {"expires tomorrow", "明天到期"},
	"lot.expires_in":                {"expires in {days} days", "{days} 天后到期"},
	"expiry.no_quarantine":          {"There is no quarantine location.", "没有待检库位。"},
	"count.title":                   {"Count", "盘点"},
	"count.scan_location":           {"Scan the location to count.", "请扫描要盘点的库位。"},
	"count.scan_items":              {"Scan every item on the shelf, one by one.", "请逐件扫描货架上的商品。"},
	"count.location_hint":           {"Location code", "库位条码"},
	"count.item_hint":               {"Item barcode", "商品条码"},
	"count.counting":                {"Counting {location}", "正在盘点 {location}"},
	"count.added":                   {"+{n} {sku}", "+{n} {sku}"},
	"count.finish":                  {"Finished counting", "盘点完成"},
	"count.applied":                 {"Count of {location} booked.", "{location} 盘点结果已入账。"},
	"count.pending":                 {"Counts waiting for approval", "待审批的盘点"},
	"count.rejected":                {"Count of {location} rejected: the books stay.", "{location} 盘点差异已驳回，账面不变。"},
	"count.approve":                 {"Approve", "批准"},
	"count.reject":                  {"Reject", "驳回"},
	"count.zone":                    {"Count a whole zone", "盘点整个库区"},
	"count.locations":               {"or these locations (separated by spaces)", "或这些库位（空格分隔）"},
	"count.request":                 {"Make count tasks", "生成盘点任务"},
	"count.requested":               {"Count tasks made.", "已生成盘点任务。"},
	"count.lot_needed":              {"{sku} is lot-tracked: scan the code that carries the lot.", "{sku} 按批次管理：请扫描带批次的条码。"},
	"count.gtin_ambiguous":          {"Barcode {gtin} is on items of more than one owner ({owners}): it cannot say whose this unit is. Count the other items, then tell a supervisor.", "条码 {gtin} 属于多个货主（{owners}）的商品，无法判断这件是谁的。请先盘点其他商品，然后告知主管。"},
	"count.not_found":               {"Count {count} is not known.", "盘点 {count} 不存在。"},
	"count.not_pending":             {"Count {count} is already {state}.", "盘点 {count} 已{state}。"},
	"count.not_this_task":           {"Count task {task} is not for this location or is finished.", "盘点任务 {task} 不属于该库位或已完成。"},
	"count.nothing":                 {"Name a zone or locations to count.", "请指定要盘点的库区或库位。"},
	"count.stale":                   {"Since this count, the books for {sku} {lot} at {location} went down to {have}: the variance {diff} would take them below zero. Reject this count and count the shelf again.", "盘点之后，{location} 的 {sku} {lot} 账面已降至 {have}，再计入差异 {diff} 会低于零。请驳回此盘点并重新盘点该库位。"},
	"count.own_count":               {"Someone other than the counter must approve a count.", "盘点差异须由盘点人以外的人员审批。"},
	"move.tasks":                    {"Moves asked for", "待执行的移库任务"},
	"move.title":                    {"Move stock", "移库"},
	"move.scan_from":                {"Scan the location to move from.", "请扫描移出库位。"},
	"move.location_hint":            {"Location code", "库位条码"},
	"move.item_hint":                {"Item barcode", "商品条码"},
	"move.from_first":               {"That is an item: scan the location to move it from first.", "这是商品：请先扫描移出库位。"},
	"move.gtin_ambiguous":           {"Barcode {gtin} is on items of more than one owner ({owners}): it cannot say whose this unit is. Leave it on the shelf and tell a supervisor.", "条码 {gtin} 属于多个货主（{owners}）的商品，无法判断这件是谁的。请留在原库位并告知主管。"},
	"move.shelf_code_any":           {"{code} is not a location ({kind} label): scan a location.", "{code} 是{kind}标签，不是库位：请扫描库位。"},
	"move.scan_item_at":             {"From {location}: scan an item to move, or take the whole location.", "从 {location} 移出：请扫描要移动的商品，或整库位移动。"},
	"move.scan_item":                {"{code} is not an item: scan the item to move.", "{code} 不是商品：请扫描要移动的商品。"},
	"move.not_here":                 {"{location} holds no {sku}; it holds {held}. Scan an item from this location.", "{location} 没有 {sku}，该库位存放的是 {held}。请扫描该库位上的商品。"},
	"move.lot_not_here":             {"{location} holds {sku} in lot {held}, not {lot}.", "{location} 的 {sku} 批次为 {held}，不是 {lot}。"},
	"move.lot_needed":               {"{location} holds {sku} in more than one lot: scan the code that carries the lot.", "{location} 的 {sku} 有多个批次：请扫描带批次的条码。"},
	"move.scan_to":                  {"Scan the location to move to.", "请扫描移入库位。"},
	"move.scan_to_or_more":          {"Scan the location to move to, or the same item again for one more.", "请扫描移入库位；再扫同一商品加一件。"},
	"move.qty":                      {"Quantity", "数量"},
	"move.qty_ok":                   {"Keep this quantity", "确认数量"},
	"move.cancel":                   {"Start again", "重新开始"},
	"move.counted":                  {"{sku}: {qty} from {location}. Scan the location to move to, or one more.", "{sku} 已扫 {qty} 件（{location}）。请扫描移入库位，或继续扫描。"},
	"move.now_to":                   {"{qty} × {sku}: scan the location to move to.", "{sku} 共 {qty} 件：请扫描移入库位。"},
	"move.qty_typed":                {"Quantity “{qty}” is not a number of units: type how many to move.", "数量“{qty}”无效：请输入要移动的件数。"},
	"move.whole_to":                 {"Moving everything at {location}: scan the location to move to, not an item.", "正在整库位移动 {location}：请扫描移入库位，不要扫商品。"},
	"move.other_item":               {"That is {sku}, another item: move the {qty} × {held} in hand first (scan the location to move to), or start again.", "这是 {sku}，不是手上的商品：请先移走手上的 {held} 共 {qty} 件（扫描移入库位），或重新开始。"},
	"move.no_more":                  {"{location} holds only {have} of {sku}: scan the location to move to.", "{location} 只有 {sku} {have} 件：请扫描移入库位。"},
	"move.whole":                    {"The whole location", "整库位移动"},
	"move.whole_from":               {"Everything at {location}", "{location} 的全部商品"},
	"move.units":                    {"{qty} × {sku} {lot} from {location}", "从 {location} 移动 {sku} {lot} 共 {qty} 件"},
	"move.done":                     {"Moved from {from} to {to}.", "已从 {from} 移至 {to}。"},
	"move.done_units":               {"Moved {qty} × {sku} from {from} to {to}.", "已将 {sku} 共 {qty} 件从 {from} 移至 {to}。"},
	"move.qty_invalid":              {"Move at least one unit.", "至少移动一件。"},
	"move.same_place":               {"From and to are the same location.", "移出与移入库位相同。"},
	"move.empty":                    {"Location {location} is empty.", "库位 {location} 为空。"},
	"move.reserved":                 {"Only {free} of {sku} {lot} at {location} are free; the rest are reserved for orders.", "{location} 的 {sku} {lot} 仅有 {free} 件未被订单占用。"},

	// packing
	"import.kind.boxes":        {"Box catalogue", "纸箱目录"},
	"import.kind.waybills":     {"Waybill numbers", "运单号池"},
	"box.code_invalid":         {"Box code {box} is not valid.", "纸箱编码 {box} 无效。"},
	"box.size_invalid":         {"Box {box}: inner sizes must be above zero and the tare not negative.", "纸箱 {box}：内尺寸须大于零，皮重不能为负。"},
	"box.none":                 {"There are no boxes in the catalogue.", "纸箱目录为空。"},
	"box.not_found":            {"Box {box} is not in the catalogue.", "纸箱 {box} 不在目录中。"},
	"box.too_small":            {"Even box {box} is too small: split the order into parcels.", "最大的纸箱 {box} 也装不下，请分箱。"},
	"pack.code_unknown":        {"{code} is not an item of this order, a tote or an order number.", "{code} 不是本订单的商品条码、周转箱或订单号。"},
	"pack.finish_first":        {"Order {order} has checked items that are not in a parcel yet: weigh and print this parcel first, then scan {code} again.", "订单 {order} 还有已复核的商品未装箱：请先称重并打印本箱面单，再重新扫描 {code}。"},
	"pack.lot_needed":          {"Two lots of {sku} are in this order: scan the code that carries the lot.", "该订单含 {sku} 的两个批次：请扫描带批次的条码。"},
	"pack.no_carrier":          {"Order {order} has no carrier: ask a supervisor.", "订单 {order} 没有承运商，请联系主管。"},
	"pack.not_in_order":        {"This item is not in order {order}. Put it aside.", "该商品不属于订单 {order}，请放在一边。"},
	"pack.not_packed":          {"Order {order} is {state}, not packed.", "订单 {order} 状态为{state}，尚未打包。"},
	"pack.not_picked":          {"Order {order} is {state}: it cannot be packed yet.", "订单 {order} 状态为{state}，暂不能打包。"},
	"pack.nothing_verified":    {"Scan the items of this parcel first.", "请先扫描本箱商品。"},
	"pack.override_invalid":    {"The override needs a supervisor's badge, PIN and a reason.", "放行需要主管工牌、密码和原因。"},
	"pack.parcel_not_found":    {"Order {order} has no parcel {parcel}.", "订单 {order} 没有第 {parcel} 箱。"},
	"pack.serial_checked":      {"Can {serial} is checked already for this order (read twice): scan the next item.", "序列号 {serial} 已在本订单复核过（重复读取）：请扫描下一件。"},
	"pack.serial_needed":       {"{sku} carries a serial on each unit: scan the code with the serial, one unit at a time.", "{sku} 每件有序列号：请逐件扫描带序列号的条码。"},
	"pack.too_many":            {"More {sku} than were picked ({picked}). Put the extra aside.", "{sku} 超出拣货数量（{picked}），请把多余的放在一边。"},
	"pack.weight_invalid":      {"Weight {weight} g is not valid.", "重量 {weight} 克无效。"},
	"pack.weight_off":          {"Weight {weight} g is {off} g from the expected {expected} g (allowed ±{tolerance} g). Check the items, or ask a supervisor to let it through.", "重量 {weight} 克与预期 {expected} 克相差 {off} 克（允许 ±{tolerance} 克）。请核对商品，或请主管放行。"},
	"pack.wrong_lot":           {"Lot {lot} of {sku} is not the lot that was picked for this order.", "{sku} 批次 {lot} 不是该订单拣出的批次。"},
	"print.job_not_found":      {"Print job {job} is not known.", "打印任务 {job} 不存在。"},
	"print.status_invalid":     {"The print status is not valid.", "打印状态无效。"},
	"print.not_failed":         {"Print job {job} is {status}: only a job that stopped after failing can be retried.", "打印任务 {job} 状态为{status}：只有多次失败后停止的任务可以重试。"},
	"print.status.queued":      {"waiting for the printer", "等待打印"},
	"print.status.sent":        {"printed", "已打印"},
	"print.status.failed":      {"failed", "打印失败"},
	"print.status.browser":     {"opened in the browser", "已在浏览器中打开"},
	"settings.gate_invalid":    {"The weight gate settings are not valid.", "称重校验设置无效。"},
	"station.format_invalid":   {"Station {station}: the label format is pdf or zpl.", "工作台 {station}：标签格式须为 pdf 或 zpl。"},
	"station.id_invalid":       {"Station {station}: the ID is not valid.", "工作台编号 {station} 无效。"},
	"station.label_invalid":    {"Station {station}: the label size is 100x150 or 76x130.", "工作台 {station}：标签尺寸须为 100x150 或 76x130。"},
	"station.not_found":        {"Station {station} is not known.", "工作台 {station} 不存在。"},
	"station.protocol_invalid": {"Station {station}: the scale protocol is continuous or mtsics.", "工作台 {station}：秤协议须为 continuous 或 mtsics。"},
	"waybill.duplicate":        {"Waybill {waybill} was already loaded: a number is never used twice.", "运单号 {waybill} 已导入过：运单号不可重复使用。"},
	"waybill.load_invalid":     {"Give a carrier account and at least one waybill number.", "请提供承运商账号和至少一个运单号。"},
	"waybill.number_invalid":   {"Waybill number {waybill} is not valid.", "运单号 {waybill} 无效。"},
	"waybill.pool_empty":       {"No waybill numbers left for {account}: load more (CSV or API) before printing.", "{account} 的运单号已用完：请先导入更多运单号。"},
	"waybill.replay_mismatch":  {"The waybill pool does not match the log at {waybill}. Run tally check.", "运单号池与日志不符（{waybill}），请运行 tally check。"},

	"menu.pack":                  {"Pack", "打包"},
	"menu.pack_hint":             {"Verify, weigh, print", "复核、称重、打单"},
	"pack.title":                 {"Packing", "打包"},
	"pack.scan_tote":             {"Scan the tote or the order", "请扫描周转箱或订单号"},
	"pack.scan_item":             {"Scan each item to check it", "请逐件扫描商品复核"},
	"pack.scan_next":             {"Scan the next tote or order", "请扫描下一个周转箱或订单号"},
	"pack.tote_hint":             {"Tote or order", "周转箱或订单号"},
	"pack.item_hint":             {"Item barcode", "商品条码"},
	"pack.order":                 {"Order {order} · {carrier}", "订单 {order} · {carrier}"},
	"pack.col_done":              {"Checked", "已复核"},
	"pack.box":                   {"Box", "纸箱"},
	"pack.weight_typed":          {"Weight in grams (no scale at this station)", "重量（克，本台无秤）"},
	"pack.weight_typed_fallback": {"Or type the weight in grams if the scale does not answer", "若秤无响应，请输入重量（克）"},
	"pack.override":              {"Supervisor override", "主管放行"},
	"pack.weigh_print":           {"Weigh and print", "称重并打印面单"},
	"pack.reprint":               {"Reprint", "补打"},
	"pack.ship":                  {"Handed to the carrier", "确认交接发货"},
	"pack.verified":              {"Checked {sku} {name}.", "已复核 {sku} {name}。"},
	"pack.parcel_done":           {"Parcel {n}: {weight} g, waybill {waybill}. Label sent to printer {printer}.", "第 {n} 箱：{weight} 克，运单号 {waybill}，面单已发送到打印机 {printer}。"},
	"pack.parcel_done_browser":   {"Parcel {n}: {weight} g, waybill {waybill}. The label opens in this browser for printing.", "第 {n} 箱：{weight} 克，运单号 {waybill}，面单已在本浏览器中打开打印。"},
	"pack.parcel_print_failed":   {"Parcel {n}: {weight} g, waybill {waybill}, but printer {printer} did not print the label: {error}. Tally tries again (tries: {tries} of {max}); check the printer.", "第 {n} 箱：{weight} 克，运单号 {waybill}，但打印机 {printer} 未能打印面单：{error}。系统会重试（已尝试 {tries}/{max} 次），请检查打印机。"},
	"pack.parcel_print_waiting":  {"Parcel {n}: {weight} g, waybill {waybill}. The label is waiting for printer {printer}: check that it is on.", "第 {n} 箱：{weight} 克，运单号 {waybill}。面单正在等待打印机 {printer}，请检查打印机是否开启。"},
	"pack.reprinted":             {"Parcel {n}: copy sent to printer {printer}.", "第 {n} 箱：副本已发送到打印机 {printer}。"},
	"pack.reprinted_browser":     {"Parcel {n}: the copy opens in this browser for printing.", "第 {n} 箱：副本已在本浏览器中打开打印。"},
	"pack.reprint_failed":        {"Parcel {n}: printer {printer} did not print the copy: {error}. Tally tries again (tries: {tries} of {max}); check the printer.", "第 {n} 箱：打印机 {printer} 未能打印副本：{error}。系统会重试（已尝试 {tries}/{max} 次），请检查打印机。"},
	"pack.reprint_waiting":       {"Parcel {n}: the copy is waiting for printer {printer}: check that it is on.", "第 {n} 箱：副本正在等待打印机 {printer}，请检查打印机是否开启。"},
	"pack.print_label":           {"Print the label", "打印面单"},
	"pack.print_again":           {"Print again", "再次打印"},
	"pack.label_pdf":             {"Open the label PDF", "打开面单 PDF"},
	"pack.label_title":           {"Waybill {waybill}", "面单 {waybill}"},
	"pack.label_status":          {"Label: {status}", "面单：{status}"},
	"pack.label_status_tries":    {"Label: {status} · tries: {tries}", "面单：{status} · 已尝试 {tries} 次"},
	"pack.box_option":            {"{code} · {name} · {size} mm", "{code} · {name} · {size} 毫米"},
	"pack.shipped":               {"Order {order} shipped. Scan the next tote.", "订单 {order} 已发货，请扫描下一个周转箱。"},
	"pack.shipped_other":         {"Order {order} handed to the carrier.", "订单 {order} 已交接发货。"},
	"pack.awaiting_title":        {"Packed, not handed to the carrier", "已打包、未交接发货"},
	"pack.awaiting":              {"{n} packed orders of this station are not handed to the carrier yet, {order} first: tap Handed to the carrier beside each when the carrier takes it.", "本台有 {n} 个已打包订单尚未交接发货（首个 {order}）：承运商取件时请点各单旁的“确认交接发货”。"},
	"pack.awaiting.one":          {"Order {order} is packed but not handed to the carrier yet: tap Handed to the carrier beside it when the carrier takes it.", "订单 {order} 已打包但尚未交接发货：承运商取件时请点该单旁的“确认交接发货”。"},
	"pack.pool_low":              {"Only {n} waybill numbers left for {account}: load more soon.", "{account} 仅剩 {n} 个运单号，请尽快补充。"},
	"pack.pool_low.one":          {"Only {n} waybill number left for {account}: load more soon.", "{account} 仅剩 {n} 个运单号，请尽快补充。"},
	"pack.scan_tote_invalid":     {"{code} is not a tote or an order.", "{code} 不是周转箱或订单号。"},
	"pack.order_ambiguous":       {"Order number {order} belongs to more than one owner: {owners}. Scan the order's tote or its waybill, or type the owner code, a space and the number ({owner} {order}).", "订单号 {order} 同时属于多个货主：{owners}。请扫描该订单的周转箱或运单号，或输入货主编码、空格和订单号（如 {owner} {order}）。"},
	"pack.tote_empty":            {"Tote {tote} holds no order.", "周转箱 {tote} 没有订单。"},
	"menu.print_jobs":            {"Print jobs", "打印任务"},
	"jobs.title":                 {"Print jobs", "打印任务"},
	"jobs.col_job":               {"Job", "任务"},
	"jobs.col_parcel":            {"Order, parcel, waybill", "订单、包裹、运单号"},
	"jobs.col_status":            {"Status", "状态"},
	"jobs.col_station":           {"Station", "工作台"},
	"jobs.any_status":            {"Any status", "全部状态"},
	"jobs.any_station":           {"All stations", "全部工作台"},
	"jobs.filter":                {"Show", "筛选"},
	"jobs.none":                  {"No print jobs match.", "没有符合条件的打印任务。"},
	"jobs.copy":                  {"copy (reprint)", "副本（补打）"},
	"jobs.retry":                 {"Retry", "重试"},
	"jobs.retried":               {"Job {job} is queued for printer {printer} again.", "任务 {job} 已重新排队，等待打印机 {printer}。"},
	"jobs.limit_invalid":         {"The limit {limit} is not valid: give a number from 1 to 1000.", "数量上限 {limit} 无效：请填 1 到 1000 之间的数字。"},
	"jobs.status_invalid":        {"The status {status} is not valid: queued, sent, failed or browser.", "状态 {status} 无效：应为 queued、sent、failed 或 browser。"},
	"scale.garbled":              {"The scale sent something that is not a weight.", "秤发送的数据不是重量。"},
	"scale.overload":             {"The scale is overloaded: take the parcel off.", "秤超载：请移开包裹。"},
	"scale.underload":            {"The scale reads below zero: check the plate and zero it.", "秤读数低于零：请检查秤盘并归零。"},
	"scale.busy":                 {"The scale is busy (taring or zeroing): wait a moment.", "秤正忙（去皮或归零），请稍候。"},
	"scale.unit":                 {"The scale is set to a unit Tally does not read: set it to kg, g or lb.", "秤的单位无法识别：请设置为 kg、g 或 lb。"},
	"scale.negative":             {"The scale reads a negative weight: zero it.", "秤读数为负：请归零。"},
	"scale.command":              {"The scale refused a command: check its protocol setting (MT-SICS).", "秤拒绝了指令：请检查协议设置（MT-SICS）。"},
	"scale.none":                 {"Station {station} has no scale: type the weight.", "工作台 {station} 未配置秤，请输入重量。"},
	"scale.open_failed":          {"The scale of {station} cannot be opened: {detail}", "无法连接 {station} 的秤：{detail}"},
	"scale.no_stable":            {"The scale of {station} gave no steady weight: keep the parcel still, or type the weight.", "{station} 的秤读数不稳定：请放稳包裹，或手动输入重量。"},
	"scale.silent":               {"The scale of {station} is not sending weights.", "{station} 的秤没有发送数据。"},

	// returns
	"menu.returns":            {"Returns", "退货"},
	"menu.returns_hint":       {"Receive and inspect returned parcels", "退货签收与质检"},
	"returns.title":           {"Returns", "退货"},
	"returns.scan_parcel":     {"Scan the return waybill, the original waybill, the order or the RMA", "请扫描退货运单、原运单、订单号或退货单号"},
	"returns.scan_item":       {"Scan each returned item", "请逐件扫描退回商品"},
	"returns.parcel_hint":     {"Parcel code", "运单、订单或退货单"},
	"returns.item_hint":       {"Item barcode", "商品条码"},
	"returns.serial":          {"Serial", "序列号"},
	"returns.unknown_parcel":  {"Unknown parcel", "未知包裹"},
	"returns.clerk":           {"received by {name}", "签收人 {name}"},
	"returns.parcel":          {"parcel {ref}", "包裹 {ref}"},
	"returns.unknown":         {"No order found: book it as an unknown parcel", "找不到订单：按未知包裹登记"},
	"returns.order":           {"Order {order}", "订单 {order}"},
	"returns.shipped":         {"Shipped", "已发"},
	"returns.returned":        {"Back", "已退"},
	"returns.condition":       {"What condition is it in? Tap one.", "商品状况如何？请点选："},
	"returns.in_parcel":       {"In this parcel", "本包裹"},
	"returns.notes":           {"Notes", "备注"},
	"returns.finish":          {"Book this parcel", "登记本包裹"},
	"returns.booked":          {"Parcel booked: {n} lines.", "包裹已登记：{n} 行。"},
	"returns.booked.one":      {"Parcel booked: {n} line.", "包裹已登记：{n} 行。"},
	"returns.put_back":        {"Put {qty} × {sku} back on {location}, then scan the location", "请将 {sku} 共 {qty} 件放回 {location}，并扫描库位确认"},
	"returns.put_done":        {"Put back {qty} × {sku} at {location}.", "已将 {sku} 共 {qty} 件放回 {location}。"},
	"returns.put_back_tag":    {"put back", "已放回货架"},
	"returns.waiting_tag":     {"waiting to go back on a shelf", "待放回货架"},
	"returns.waiting":         {"Order {order}: parcel {parcel} was booked and its units wait at {location}. Put them back first.", "订单 {order}：包裹 {parcel} 已登记，商品仍在 {location}，请先放回货架。"},
	"returns.waiting_list":    {"Waiting to go back on a shelf", "待放回货架的包裹"},
	"returns.waiting_item":    {"Order {order} · parcel {parcel}: {qty} to put back", "订单 {order} · 包裹 {parcel}：{qty} 件待放回"},
	"returns.shelf_item":      {"That is an item ({sku} {name}), not a shelf: scan the shelf {want} to put it back.", "这是商品（{sku} {name}），不是库位：请扫描库位 {want} 放回。"},
	"returns.shelf_item_any":  {"That is an item ({sku} {name}), not a shelf: scan the shelf you put it back on.", "这是商品（{sku} {name}），不是库位：请扫描放回的库位。"},
	"returns.shelf_code":      {"{code} is not a shelf ({kind} label): scan the shelf {want} to put it back.", "{code} 是{kind}标签，不是库位：请扫描库位 {want} 放回。"},
	"returns.shelf_code_any":  {"{code} is not a shelf ({kind} label): scan the shelf you put it back on.", "{code} 是{kind}标签，不是库位：请扫描放回的库位。"},
	"returns.receipt":         {"Print receipt", "打印签收单"},
	"returns.receipt_title":   {"Return receipt", "退货签收单"},
	"returns.today":           {"Returned today, by condition", "今日退货（按状况）"},
	"returns.label":           {"Print a label for it", "打印商品标签"},
	"returns.swap":            {"Serial {serial} was not shipped in this order: possible swap. It goes to quarantine.", "序列号 {serial} 不属于该订单：疑似调包，已放入待检区。"},
	"returns.unmatched":       {"Unknown parcels", "未匹配包裹"},
	"returns.match":           {"Match to order", "匹配订单"},
	"returns.matched":         {"Parcel matched to order {order}.", "包裹已匹配到订单 {order}。"},
	"returns.added":           {"+{qty} {sku} ({condition})", "+{qty} {sku}（{condition}）"},
	"cond.resellable":         {"Resellable", "可二次销售"},
	"cond.damaged":            {"Damaged", "破损"},
	"cond.expired":            {"Expired", "过期"},
	"cond.opened":             {"Opened", "已开封"},
	"cond.wrong_item":         {"Wrong item", "非本单商品"},
	"cond.missing":            {"Missing", "缺失"},
	"return.rma_invalid":      {"RMA {rma} is not valid.", "退货单号 {rma} 无效。"},
	"return.not_shipped":      {"Order {order} is {state}, not shipped.", "订单 {order} 状态为{state}，尚未发货。"},
	"return.no_lines":         {"Scan at least one item (or mark it missing).", "请至少扫描一件商品（或标记缺失）。"},
	"return.parcel_seen":      {"Parcel {waybill} is already booked (on another handheld?).", "包裹 {waybill} 已登记（可能在其他手持终端上）。"},
	"return.no_location":      {"There is no location for {kind} returns.", "没有存放{kind}退货的库位。"},
	"return.line_invalid":     {"A line of {sku} has no quantity or condition.", "{sku} 的一行缺少数量或状况。"},
	"return.not_shipped_item": {"{sku} {lot} was not shipped in order {order}: mark it as a wrong item.", "{sku} {lot} 不在订单 {order} 的发货中：请标记为非本单商品。"},
	"return.too_many":         {"Only {left} more of {sku} can come back on this order.", "该订单的 {sku} 最多还能退 {left} 件。"},
	"return.parcel_not_found": {"Returned parcel {parcel} is not known.", "退货包裹 {parcel} 不存在。"},
	"return.already_matched":  {"Parcel {parcel} already belongs to order {order}.", "包裹 {parcel} 已匹配订单 {order}。"},
	"return.line_not_found":   {"Parcel {parcel} has no line {line}.", "包裹 {parcel} 没有第 {line} 行。"},
	"return.put_already":      {"{sku} is already back on {location}.", "{sku} 已放回 {location}。"},
	"return.not_for_shelf":    {"{sku} at {location} does not go back on a shelf from here.", "{location} 的 {sku} 不能从这里放回货架。"},
	"return.unknown_code":     {"{code} is not an order, waybill or RMA that Tally knows.", "{code} 不是系统中已有的订单号、运单号或退货单号。"},
	"return.code_ambiguous":   {"{code} is an order or RMA of more than one owner ({owners}): scan the parcel's waybill instead.", "{code} 是多个货主（{owners}）的订单号或退货单号：请改扫包裹的运单号。"},
	"return.other_owner":      {"Parcel {parcel} was booked for owner {owner}, the order is owner {order_owner}'s.", "包裹 {parcel} 登记在货主 {owner} 名下，而该订单属于货主 {order_owner}。"},
	"trace.pack.scanned":      {"Packed {qty} into order {order}", "装箱 {qty} 件至订单 {order}"},
	"trace.parcel.closed":     {"Parcel of order {order} closed with waybill {waybill}", "订单 {order} 包裹封箱，运单 {waybill}"},
	"trace.order.shipped":     {"Order {order} shipped with waybill {waybill}", "订单 {order} 已发货，运单 {waybill}"},
	"trace.return.received":   {"Returned", "退货入库"},
	"trace.return.matched":    {"Unknown return matched", "未知退货已匹配"},

	// errors from the server
	"auth.login_required":  {"Log in first.", "请先登录。"},
	"auth.session_expired": {"Your session has ended. Log in again.", "登录已过期，请重新登录。"},
	"auth.token_invalid":   {"The API token is not valid.", "API 令牌无效。"},
	"auth.forbidden":       {"Your role may not open this. Ask a supervisor.", "您的角色无权访问此功能，请联系主管。"},
	"csrf.invalid":         {"This form has expired. Reload the page and try again.", "表单已过期，请刷新页面后重试。"},
	"http.not_found":       {"There is no such page.", "页面不存在。"},
	"http.internal":        {"Something went wrong on the server. Try again; if it keeps happening, tell a supervisor.", "服务器出错，请重试；若反复出现请告知主管。"},
	"http.bad_request":     {"The request is not valid.", "请求无效。"},
	"http.too_large":       {"The file is too large.", "文件过大。"},

	// domain errors (wms)
	"sku.code_invalid":              {"SKU code {sku} is not valid: 1–64 characters, no spaces.", "商品编码 {sku} 无效：须为 1–64 个字符且不含空格。"},
	"sku.name_invalid":              {"SKU {sku} needs a name (up to 200 characters).", "商品 {sku} 缺少名称（最多 200 字）。"},
	"sku.gtin_invalid":              {"SKU {sku}: {gtin} is not a valid GTIN (check digit or length).", "商品 {sku}：{gtin} 不是有效的条码（校验位或长度错误）。"},
	"sku.negative":                  {"SKU {sku}: weights, sizes and shelf life cannot be negative.", "商品 {sku}：重量、尺寸和保质期不能为负数。"},
	"sku.pct_invalid":               {"SKU {sku}: minimum remaining shelf life must be 0–100 %, not {value}.", "商品 {sku}：最低剩余保质期须为 0–100%，而不是 {value}。"},
	"sku.gtin_taken":                {"GTIN {gtin} already belongs to SKU {sku}.", "条码 {gtin} 已属于商品 {sku}。"},
	"sku.lot_tracking_with_stock":   {"SKU {sku} has stock: lot tracking cannot be switched now.", "商品 {sku} 有库存，不能更改批次管理设置。"},
	"sku.not_found":                 {"SKU {sku} is not known.", "商品 {sku} 不存在。"},
	"sku.gtin_unknown":              {"Barcode {gtin} belongs to no SKU. Put the item aside and tell a supervisor.", "条码 {gtin} 未关联任何商品。请将商品放在一边并告知主管。"},
	"sku.gtin_ambiguous":            {"Barcode {gtin} is on items of more than one owner ({owners}). Scan the order, receipt or return it belongs to first.", "条码 {gtin} 属于多个货主（{owners}）的商品。请先扫描它所属的订单、入库单或退货单。"},
	"owner.unknown":                 {"Owner {owner} is not one this warehouse works for. Check the owner code, or have an admin add the owner.", "货主 {owner} 不是本仓库的货主。请核对货主编码，或请管理员先添加该货主。"},
	"owner.code_invalid":            {"Owner code {owner} is not valid: 1–64 characters, no spaces.", "货主编码 {owner} 无效：须为 1–64 个字符且不含空格。"},
	"upstream.name_invalid":         {"Upstream name {name} is not valid: 1–32 of a–z, 0–9 and -.", "上游名称 {name} 无效：须为 1–32 个 a–z、0–9 或 - 字符。"},
	"upstream.dialect_unknown":      {"Dialect {dialect} is not one Tally speaks ({dialects}).", "Tally 不支持协议 {dialect}（支持：{dialects}）。"},
	"upstream.url_invalid":          {"Upstream URL {url} is not valid: an https:// address without user, query or fragment.", "上游地址 {url} 无效：须为 https:// 地址，且不含用户名、查询串或片段。"},
	"upstream.url_plain_http":       {"Upstream URL {url} uses plain http: only https is allowed, except to this machine (127.0.0.1, localhost).", "上游地址 {url} 使用明文 http：除本机（127.0.0.1、localhost）外只允许 https。"},
	"upstream.token_invalid":        {"The upstream's token must be {min}–{max} printable characters without spaces.", "上游令牌须为 {min}–{max} 个不含空格的可打印字符。"},
	"upstream.secret_invalid":       {"The upstream's signing secret must be {min}–{max} bytes.", "上游签名密钥须为 {min}–{max} 字节。"},
	"upstream.not_found":            {"There is no upstream named {name}.", "没有名为 {name} 的上游。"},
	"sync.cursor_invalid":           {"Upstream {upstream} sent a cursor that is not valid (at most 256 printable characters).", "上游 {upstream} 返回的游标无效（最多 256 个可打印字符）。"},
	"sync.dead_letter_not_found":    {"Upstream {upstream} has no dead letter for event {seq}.", "上游 {upstream} 没有事件 {seq} 的死信。"},
	"sync.dead_letter_action":       {"{action} is not something to do with a dead letter: retry or discard.", "{action} 不是死信的操作：请选择重试或丢弃。"},
	"sync.snapshot_too_large":       {"The upstream's stock snapshot is too large (the limit is one million lines).", "上游的库存快照过大（上限为一百万行）。"},
	"sync.snapshot_line_invalid":    {"The upstream's stock snapshot has a line that is not valid (SKU {sku}).", "上游的库存快照中有无效的行（商品 {sku}）。"},
	"sync.applied_beyond":           {"The upstream says it applied this warehouse's events up to {applied}, but the log ends at {last}: it is another warehouse's, or this store was restored from an older backup. Ask the upstream's team before syncing on.", "上游称已应用本仓事件至 {applied}，但本仓日志止于 {last}：这是其他仓库的数据，或本仓库数据由较早的备份恢复。请先与上游团队核实再继续同步。"},
	"sync.reconciliation_not_found": {"There is no reconciliation {id}.", "没有对账单 {id}。"},
	"sync.change_id_invalid":        {"The upstream's change ID {id} is not valid: 1–64 printable characters.", "上游变更 ID {id} 无效：须为 1–64 个可打印字符。"},
	"sync.refusal_invalid":          {"A refused change needs its type and a code.", "拒绝的变更须注明类型和代码。"},
	"sync.refusal_reason_required":  {"Say why the instruction is refused: the upstream's people will read it.", "请说明拒绝该指令的原因：上游人员会看到。"},
	"sync.instruction_not_found":    {"There is no stock instruction {id}.", "没有库存指令 {id}。"},
	"sync.instruction_closed":       {"Stock instruction {id} is already {state}.", "库存指令 {id} 已是「{state}」状态。"},
	"sync.instruction_invalid":      {"Stock instruction {id} is not valid: it needs a SKU and a change of 1 to 1,000,000 units.", "库存指令 {id} 无效：须有商品，且变动数量为 1 至 1,000,000。"},
	"sync.instruction_location":     {"Choose the location where the instruction's units are added or taken.", "请选择执行该指令时增加或扣减库存的库位。"},
	"owner.name_invalid":            {"Owner {owner} needs a name (up to 200 characters).", "货主 {owner} 缺少名称（最多 200 字）。"},
	"owner.default_reserved":        {"{owner} is the default owner: it needs no record.", "{owner} 是默认货主，无需添加。"},
	"owner.default":                 {"Default owner", "默认货主"},
	"owner.col":                     {"Owner", "货主"},
	"owner.all":                     {"All owners", "全部货主"},
	"owner.filter":                  {"Show", "筛选"},
	"returns.order_ambiguous":       {"Order number {order} belongs to more than one owner: {owners}. Scan the parcel's waybill or the RMA, or type the owner code, a space and the number ({owner} {order}).", "订单号 {order} 同时属于多个货主：{owners}。请扫描包裹运单号或退货单号，或输入货主编码、空格和订单号（如 {owner} {order}）。"},
	"returns.owner":                 {"Whose parcel is it?", "该包裹属于哪个货主？"},
	"event.owner_mismatch":          {"The data names owner {owner}, the event owner {envelope}.", "数据中的货主 {owner} 与事件的货主 {envelope} 不一致。"},
	"location.code_invalid":         {"Location code {location} is not valid.", "库位编码 {location} 无效。"},
	"location.zone_invalid":         {"Location {location}: zone {zone} is not valid.", "库位 {location}：区域 {zone} 无效。"},
	"location.kind_invalid":         {"Location {location}: kind {kind} is not one of pick, reserve, dock, quarantine, returns, damaged.", "库位 {location}：类型 {kind} 无效，应为 pick、reserve、dock、quarantine、returns、damaged 之一。"},
	"location.seq_invalid":          {"Location {location}: pick sequence cannot be negative.", "库位 {location}：拣货顺序不能为负数。"},
	"location.not_found":            {"Location {location} is not known.", "库位 {location} 不存在。"},
	"date.invalid":                  {"{value} is not a date. Use YYYY-MM-DD.", "{value} 不是有效日期，请使用 YYYY-MM-DD 格式。"},
	"staff.badge_invalid":           {"Badge code {badge} is not valid.", "工牌号 {badge} 无效。"},
	"staff.name_invalid":            {"Badge {badge} needs a name.", "工牌 {badge} 缺少姓名。"},
	"staff.role_invalid":            {"Role {role} is not one of picker, packer, receiver, supervisor, admin.", "角色 {role} 无效，应为 picker、packer、receiver、supervisor、admin 之一。"},
	"staff.language_invalid":        {"Language {language} is not zh-CN or en.", "语言 {language} 无效，应为 zh-CN 或 en。"},
	"staff.pin_required":            {"New badge {badge} needs a PIN.", "新工牌 {badge} 需要设置密码。"},
	"staff.not_found":               {"Badge {badge} is not known.", "工牌 {badge} 不存在。"},
	"stock.lot_required":            {"SKU {sku} is lot-tracked: give the lot.", "商品 {sku} 按批次管理，请提供批次号。"},
	"stock.lot_not_tracked":         {"SKU {sku} is not lot-tracked: leave the lot empty.", "商品 {sku} 不按批次管理，批次号请留空。"},
	"stock.lot_invalid":             {"SKU {sku}: lot {lot} is not a valid lot code.", "商品 {sku}：批次号 {lot} 无效。"},
	"stock.expiry_required":         {"SKU {sku} lot {lot} is new: give its expiry date.", "商品 {sku} 批次 {lot} 为新批次，请提供有效期。"},
	"stock.expiry_mismatch":         {"SKU {sku} lot {lot} already has expiry {expiry}.", "商品 {sku} 批次 {lot} 的有效期已登记为 {expiry}。"},
	"stock.negative":                {"Stock of {sku} {lot} at {location} cannot go below zero.", "{location} 的 {sku} {lot} 库存不能小于零。"},
	"stock.qty_negative":            {"Quantity {qty} of {sku} is negative.", "{sku} 的数量 {qty} 为负数。"},
	"stock.delta_zero":              {"A stock change of zero changes nothing.", "数量变化为零，无需调整。"},
	"stock.insufficient":            {"Only {have} of {sku} {lot} at {location}; {want} asked for. Count the shelf and tell a supervisor.", "{location} 的 {sku} {lot} 只有 {have} 件，需要 {want} 件。请清点货架并告知主管。"},
	"token.invalid":                 {"The token is not valid.", "令牌无效。"},
	"token.name_invalid":            {"A token needs a name.", "令牌需要名称。"},
	"token.role_invalid":            {"Role {role} is not one of picker, packer, receiver, supervisor, admin, integration.", "角色 {role} 无效，应为 picker、packer、receiver、supervisor、admin、integration 之一。"},
	"event.id_invalid":              {"The request has no valid Idempotency-Key.", "请求缺少有效的 Idempotency-Key。"},
	"event.type_unknown":            {"Unknown event type {type}.", "未知的事件类型 {type}。"},
	"event.too_long":                {"The user or device name is too long.", "用户或设备名称过长。"},
	"event.payload_invalid":         {"The {type} data is not valid.", "{type} 数据无效。"},
	"event.id_reused":               {"Key {id} was already used for a {type}: send a new key.", "键 {id} 已用于 {type}，请使用新的键。"},
	"key.other_actor":               {"Key {key} was already used by someone else: send this request with a new key.", "键 {key} 已被其他人使用，请用新的键发送此请求。"},
	"key.other_request":             {"Key {key} was already used for another request ({type} {target}): a new request needs a new key.", "键 {key} 已用于另一个请求（{type} {target}）：新的请求需要新的键。"},
	"key.changed":                   {"Key {key} was already used for a request with other content: a retry sends exactly the first request again, and a new request needs a new key.", "键 {key} 已用于内容不同的请求：重试须发送与第一次完全相同的请求，新的请求需要新的键。"},
	"form.already_sent":             {"This form was already sent, with other values or by someone else, and nothing more was done. Reload the page and start again.", "此表单已提交过（内容不同或由其他人提交），这次没有再执行。请刷新页面后重新操作。"},
	"event.not_found":               {"Event {id} is not known.", "事件 {id} 不存在。"},
	"feed.after_invalid":            {"after={after} is not an event number: give the next of the last page (0 for the start).", "after={after} 不是事件序号：请填上一页的 next（从头读填 0）。"},
	"feed.after_beyond":             {"after={after} is past the newest event ({last}): this cursor is from another store or from before a restore. Start again from 0 or from a number up to {last}.", "after={after} 超过了最新事件（{last}）：该游标来自其他数据文件或恢复之前。请从 0 或不超过 {last} 的序号重新读取。"},
	"feed.limit_invalid":            {"limit={limit} is not valid: give a number from 1 to {max}.", "limit={limit} 无效：请填 1 到 {max} 之间的数字。"},
	"feed.type_unknown":             {"types: {type} is not an event type (docs/events.md lists them).", "types：{type} 不是事件类型（见 docs/events.md）。"},
	"feed.owner_invalid":            {"owner={owner} is not a valid owner code.", "owner={owner} 不是有效的货主代码。"},
	"feed.wait_invalid":             {"wait={wait} is not valid: give a duration such as 30s (at most {max}).", "wait={wait} 无效：请填时长，如 30s（最长 {max}）。"},

	// sync (issue 11): the sync page, its report and the offline banner
	"menu.sync":                {"Sync", "同步"},
	"sync.title":               {"Sync", "同步"},
	"sync.not_running":         {"The syncer is not running, so nothing can be sent, fetched or reconciled now. Start Tally with its syncer and try again.", "同步服务未运行，目前无法发送、拉取或对账。请启动带同步服务的 Tally 后重试。"},
	"sync.not_running_note":    {"The syncer is not running: these figures come from the ledger alone, and nothing is sent or fetched.", "同步服务未运行：以下数据仅来自台账，不会发送或拉取任何数据。"},
	"sync.upstream_failed":     {"The upstream did not answer as it should: {detail}. Try again later; the sync page shows its last error.", "上游未正常应答：{detail}。请稍后重试；同步页面显示其最近的错误。"},
	"sync.body_too_large":      {"The request is larger than {max}.", "请求超过 {max}。"},
	"sync.seq_invalid":         {"{seq} is not an event number.", "{seq} 不是事件序号。"},
	"sync.instruction_action":  {"{action} is not something to do with a stock instruction: carry_out or refuse.", "{action} 不是库存指令的操作：请选择执行（carry_out）或拒绝（refuse）。"},
	"sync.none":                {"No upstream is configured yet. An admin adds one below or with PUT /api/v1/sync/upstreams/NAME.", "尚未配置上游。管理员可在下方添加，或使用 PUT /api/v1/sync/upstreams/NAME。"},
	"sync.online":              {"Online", "在线"},
	"sync.offline":             {"Offline", "离线"},
	"sync.disabled":            {"Turned off", "已停用"},
	"sync.offline_since":       {"Offline since {time}", "自 {time} 起离线"},
	"sync.url":                 {"Address", "地址"},
	"sync.backlog":             {"Waiting to be sent", "待发送"},
	"sync.backlog_empty":       {"Nothing waiting", "无待发送事件"},
	"sync.backlog_value":       {"{n} events, the oldest for {age}", "{n} 条事件，最早的已等待 {age}"},
	"sync.backlog_value.one":   {"{n} event, waiting for {age}", "{n} 条事件，最早的已等待 {age}"},
	"sync.draining":            {"Sending the backlog: {done} of {total}", "正在发送积压事件：{done} / {total}"},
	"sync.last_success":        {"Last success", "最近成功"},
	"sync.never":               {"never", "从未"},
	"sync.last_error":          {"Last error", "最近错误"},
	"sync.next_try":            {"Next try", "下次尝试"},
	"sync.cursor":              {"Acknowledged through event {seq}", "已确认至事件 {seq}"},
	"sync.dead_letters":        {"Dead letters", "死信"},
	"sync.dead_none":           {"No dead letters.", "没有死信。"},
	"sync.dead_retrying":       {"A retry was asked for.", "已请求重试。"},
	"sync.attempts":            {"{n} attempts", "已尝试 {n} 次"},
	"sync.attempts.one":        {"{n} attempt", "已尝试 {n} 次"},
	"sync.retry":               {"Retry", "重试"},
	"sync.discard":             {"Discard", "丢弃"},
	"sync.dead_retried":        {"Event {seq} will be sent to {upstream} again.", "事件 {seq} 将重新发送至 {upstream}。"},
	"sync.dead_discarded":      {"Event {seq} is discarded: it will not be sent to {upstream}.", "事件 {seq} 已丢弃，不再发送至 {upstream}。"},
	"sync.refusals":            {"Refused changes and conflicts", "被拒绝的变更与冲突"},
	"sync.refusals_none":       {"None.", "无。"},
	"sync.conflict":            {"Conflict", "冲突"},
	"sync.refused":             {"Refused", "已拒绝"},
	"sync.instructions":        {"Stock instructions", "库存调整指令"},
	"sync.instructions_none":   {"No instruction is waiting.", "没有待处理的指令。"},
	"sync.carry_out":           {"Carry out", "执行"},
	"sync.refuse":              {"Refuse", "拒绝"},
	"sync.location":            {"Location", "库位"},
	"sync.reason":              {"Why (the upstream's people read it)", "原因（上游人员会看到）"},
	"sync.instruction_done":    {"Stock instruction {id} was carried out at {location}.", "库存指令 {id} 已在 {location} 执行。"},
	"sync.instruction_refused": {"Stock instruction {id} was refused; the upstream is told why.", "库存指令 {id} 已拒绝，上游将收到原因。"},
	"sync.reconciliations":     {"Reconciliations", "对账"},
	"sync.reconcile_now":       {"Reconcile now", "立即对账"},
	"sync.reconciled":          {"Reconciled with {upstream}: {n} differences.", "已与 {upstream} 对账：{n} 处差异。"},
	"sync.reconciled.one":      {"Reconciled with {upstream}: {n} difference.", "已与 {upstream} 对账：{n} 处差异。"},
	"sync.differences":         {"{n} differences in {compared} compared", "比对 {compared} 项，{n} 处差异"},
	"sync.differences.one":     {"{n} difference in {compared} compared", "比对 {compared} 项，{n} 处差异"},
	"sync.orders_one_side":     {"orders open on one side only: here {here}, there {there}", "仅一方未完结的订单：本仓 {here}，上游 {there}"},
	"sync.no_differences":      {"Both sides agree.", "双方一致。"},
	"sync.report":              {"Report", "报告"},
	"sync.report_title":        {"Reconciliation", "对账报告"},
	"sync.back":                {"Back to sync", "返回同步"},
	"sync.report_upstream":     {"Upstream and owner", "上游与货主"},
	"sync.report_at":           {"Made", "生成时间"},
	"sync.report_snapshot":     {"The upstream's snapshot", "上游快照"},
	"sync.report_applied":      {"applied through event {seq}; {pending} later events counted in; {compared} SKU-lots compared", "已应用至事件 {seq}；计入其后 {pending} 条事件；比对 {compared} 个商品批次"},
	"sync.trigger.request":     {"on request", "手动发起"},
	"sync.trigger.schedule":    {"scheduled", "定时"},
	"sync.trigger.reconnect":   {"on reconnect", "重新连接时"},
	"sync.col_sku":             {"SKU, lot", "商品、批次"},
	"sync.col_warehouse":       {"Warehouse", "本仓"},
	"sync.col_oms":             {"OMS", "OMS"},
	"sync.col_delta":           {"Difference", "差异"},
	"sync.delta_hint":          {"The warehouse owns on-hand stock: its figure stands, and the OMS is sent each difference to add.", "在库库存以仓库为准：保留本仓数字，并将每处差异发送给 OMS 补记。"},
	"sync.only_here":           {"Open here, not at the OMS", "本仓未完结、OMS 无此未完结订单"},
	"sync.only_there":          {"Open at the OMS, not here", "OMS 未完结、本仓无此未完结订单"},
	"sync.truncated":           {"The order lists were cut at 10,000 orders.", "订单列表已截断至 10,000 条。"},
	"sync.banner":              {"Offline from {name} since {time} — {n} events waiting", "自 {time} 起与 {name} 断开 — {n} 条事件待发送"},
	"sync.banner.one":          {"Offline from {name} since {time} — {n} event waiting", "自 {time} 起与 {name} 断开 — {n} 条事件待发送"},
	"sync.age_s":               {"{n} s", "{n} 秒"},
	"sync.age_m":               {"{n} min", "{n} 分钟"},
	"sync.age_h":               {"{h} h {m} min", "{h} 小时 {m} 分钟"},
	"sync.age_d":               {"{d} d {h} h", "{d} 天 {h} 小时"},
	"sync.saved":               {"Upstream {name} is saved.", "上游 {name} 已保存。"},
	"sync.form_add":            {"Add an upstream", "添加上游"},
	"sync.form_change":         {"Change this upstream", "修改此上游"},
	"sync.name":                {"Name (a–z, 0–9, -)", "名称（a–z、0–9、-）"},
	"sync.dialect":             {"Protocol", "协议"},
	"sync.token":               {"Token", "令牌"},
	"sync.secret":              {"Signing secret (optional: the token signs without one)", "签名密钥（可选：未设置时用令牌签名）"},
	"sync.keep_hint":           {"Leave the token and secret empty to keep the stored ones.", "令牌和密钥留空则保留已保存的值。"},
	"sync.secret_set":          {"A signing secret is set.", "已设置签名密钥。"},
	"sync.clear_secret":        {"Remove the signing secret", "删除签名密钥"},
	"sync.push":                {"Send events", "发送事件"},
	"sync.pull":                {"Fetch orders and changes", "拉取订单和变更"},
	"sync.disabled_field":      {"Turned off (its cursors are kept)", "停用（保留其游标）"},
	"sync.save":                {"Save", "保存"},

	// CSV
	"csv.encoding":       {"The file is neither UTF-8 nor GBK text. Save it from Excel as “CSV UTF-8” or “CSV”.", "文件既不是 UTF-8 也不是 GBK 文本。请在 Excel 中另存为“CSV UTF-8”或“CSV”。"},
	"csv.utf16":          {"The file is UTF-16 (“Unicode text”). Save it from Excel as “CSV UTF-8” or “CSV”.", "文件为 UTF-16（“Unicode 文本”）。请在 Excel 中另存为“CSV UTF-8”或“CSV”。"},
	"csv.too_large":      {"The file is larger than 64 MB. Split it.", "文件超过 64 MB，请拆分后上传。"},
	"csv.empty":          {"The file is empty.", "文件为空。"},
	"csv.no_rows":        {"The file has a header but no rows.", "文件只有表头，没有数据行。"},
	"csv.syntax":         {"CSV syntax error: {detail}", "CSV 格式错误：{detail}"},
	"csv.column_unknown": {"Unknown column “{column}”. The columns are: {columns}.", "未知列“{column}”。可用列为：{columns}。"},
	"csv.column_twice":   {"Column “{column}” appears twice.", "列“{column}”出现了两次。"},
	"csv.column_missing": {"Column “{column}” is missing.", "缺少列“{column}”。"},
	"csv.field_count":    {"{got} fields where the header has {want}.", "该行有 {got} 列，表头为 {want} 列。"},
	"csv.row_invalid":    {"The row is not valid: {detail}", "该行无效：{detail}"},
	"csv.not_integer":    {"{column} must be a whole number, not “{value}”.", "{column} 须为整数，而不是“{value}”。"},
	"csv.negative":       {"{column} cannot be negative ({value}).", "{column} 不能为负数（{value}）。"},
	"csv.not_bool":       {"{column} must be true/false, yes/no, 1/0 or 是/否, not “{value}”.", "{column} 须为 true/false、yes/no、1/0 或 是/否，而不是“{value}”。"},
	"csv.duplicate":      {"{value} is already on line {first}.", "{value} 与第 {first} 行重复。"},

	// scans
	"scan.empty":        {"Nothing was scanned. Scan again.", "未扫描到内容，请重新扫描。"},
	"scan.check_digit":  {"The barcode's check digit is wrong: it was misread or is damaged. Scan again or type it.", "条码校验位错误：可能误读或破损。请重新扫描或手动输入。"},
	"scan.bad_date":     {"The barcode holds an impossible date. Type the date from the pack.", "条码中的日期无效，请按包装上的日期手动输入。"},
	"scan.unknown_ai":   {"The barcode holds a GS1 field Tally does not know. Scan the product barcode instead.", "条码包含无法识别的 GS1 字段，请改扫商品条码。"},
	"scan.bad_value":    {"A field in the barcode has the wrong length or characters. Scan again.", "条码中某字段长度或字符错误，请重新扫描。"},
	"scan.truncated":    {"The barcode was cut short. Scan again.", "条码不完整，请重新扫描。"},
	"scan.too_long":     {"A field in the barcode is too long (a separator may be missing). Scan again.", "条码中某字段过长（可能缺少分隔符），请重新扫描。"},
	"scan.duplicate_ai": {"The barcode holds the same field twice with different values.", "条码中同一字段出现两次且内容不同。"},
	// staff figures (wms/kpi.go, server/api_kpi.go)
	"kpi.time_invalid":              {"{name} “{value}” is not a time: give a day (2026-11-11) or a time (2026-11-11T08:00:00+08:00).", "{name}“{value}”不是时间：请填写日期（2026-11-11）或时间（2026-11-11T08:00:00+08:00）。"},
	"kpi.range_invalid":             {"The range ends before it starts: “to” must be after “from”.", "时间范围结束早于开始：“to”须晚于“from”。"},
	"kpi.range_too_long":            {"The range is too long: at most {days} days at a time.", "时间范围过长：每次最多 {days} 天。"},
	"kpi.person_invalid":            {"The person is not valid: give a staff badge.", "人员无效：请填写员工工牌号。"},
	"kpi.role_invalid":              {"{role} is not a role: picker, packer, receiver, supervisor or admin.", "{role} 不是角色：请选择拣货员、打包员、收货员、主管或管理员。"},
	"kpi.shift_unknown":             {"There is no shift called {shift}: choose one from the settings.", "没有名为 {shift} 的班次：请从设置中选择。"},
	"kpi.not_yours":                 {"You can see only your own figures.", "您只能查看自己的绩效。"},
	"kpi.kind_invalid":              {"{kind} is not a kind of work: pick, pack, receive, returns, count or move.", "{kind} 不是作业类型：请选择拣货、打包、收货、退货、盘点或移库。"},
	"kpi.calibration_too_few":       {"Units of work finished in the range: {n}; calibration needs at least {need}. Choose a longer range.", "范围内只有 {n} 个已完成作业单元，校准至少需要 {need} 个。请选择更长的时间范围。"},
	"gap.reason_invalid":            {"{reason} is not a reason: replenishment, waiting, equipment, meeting or break.", "{reason} 不是原因：请选择补货、等待任务、设备、会议或休息。"},
	"gap.not_found":                 {"{actor} has no pause starting at {from}. Reload the figures and choose it again.", "{actor} 没有从 {from} 开始的停顿。请刷新绩效后重新选择。"},
	"gap.not_yours":                 {"Only the person themselves or a supervisor can explain this pause.", "只有本人或主管可以说明此停顿。"},
	"standards.coefficient_invalid": {"Standard {name} must be between 0 and 3600 seconds, not {value}.", "标准 {name} 须在 0 到 3600 秒之间，而不是 {value}。"},
	"standards.percent_invalid":     {"{name} must be a percentage in range, not {value}.", "{name} 须为有效百分比，而不是 {value}。"},
	"standards.bands_invalid":       {"The amber band must start below the green band.", "黄色区间的下限须低于绿色区间。"},
	"standards.gap_factor_invalid":  {"The gap factor must be between 1 and 100, not {value}.", "停顿系数须在 1 到 100 之间，而不是 {value}。"},
	"standards.min_direct_invalid":  {"The minimum direct work must be between 0 and 1440 minutes, not {value}.", "最少直接作业时间须在 0 到 1440 分钟之间，而不是 {value}。"},
	"standards.target_invalid":      {"Target in {name} must be between 0 and 100000, not {value}.", "{name} 中的目标须在 0 到 100000 之间，而不是 {value}。"},
	"standards.shift_invalid":       {"Shift {name} is not valid: a unique name, start and end hours 0–23 that differ, at most 12 shifts.", "班次 {name} 无效：名称须唯一，开始和结束小时为 0–23 且不相同，最多 12 个班次。"},
	"location.height_invalid":       {"Location {location}: height {height} is not waist, high_low or floor.", "库位 {location}：高度 {height} 不是 waist（腰部）、high_low（高/低层）或 floor（地面）。"},
}
