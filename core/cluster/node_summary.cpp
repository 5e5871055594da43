#include "core/cluster/node_summary.hpp"

#include <limits>

#include "core/common/ascii.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch {

namespace {

std::optional<KeyState> key_state_named(std::string_view name) {
    for (KeyState s : {KeyState::compliant, KeyState::drift, KeyState::repaired, KeyState::error,
                       KeyState::flapping, KeyState::absent}) {
        if (to_string(s) == name) return s;
    }
    return std::nullopt;
}

Json when(const std::optional<std::string>& t) { return t ? Json(*t) : Json(nullptr); }

// Reading one summary: the first problem ends it (the summary is unreadable
// as a whole), so each reader returns false after recording why.
class Reader {
public:
    std::string problem;

    bool fail(const std::string& where, const std::string& what) {
        problem = where + ": " + what;
        return false;
    }

    // A string member: present, a string, short, no control character.
    bool text(const Json& object, const char* name, const std::string& where, std::string& out,
              bool allow_empty = false) {
        const auto it = object.find(name);
        if (it == object.end()) return fail(where + "/" + name, "missing");
        return text_value(*it, where + "/" + name, out, allow_empty);
    }

    bool text_value(const Json& v, const std::string& where, std::string& out, bool allow_empty) {
        if (!v.is_string()) return fail(where, "found " + found(v) + ", expected a string");
        const auto& s = v.get_ref<const std::string&>();
        if (s.size() > kMaxSummaryTextChars) {
            return fail(where, "a string of " + std::to_string(s.size()) + " bytes, more than " +
                                   std::to_string(kMaxSummaryTextChars));
        }
        if (s.empty() && !allow_empty) return fail(where, "an empty string");
        for (unsigned char c : s) {
            if (c < 0x20 || c == 0x7f) return fail(where, "a control character in the string");
        }
        out = s;
        return true;
    }

    bool utc(const Json& object, const char* name, const std::string& where, std::string& out) {
        if (!text(object, name, where, out)) return false;
        if (!parse_utc(out)) {
            return fail(where + "/" + name, "found " + json_quote(out) +
                                                ", expected a UTC time like "
                                                "\"2026-11-30T11:00:00.000Z\"");
        }
        return true;
    }

    bool key(const Json& k, const std::string& where, PublishedKey& out) {
        if (!k.is_object()) return fail(where, "found " + found(k) + ", expected an object");
        if (!text(k, "path", where, out.path)) return false;
        std::string state;
        if (!text(k, "state", where, state)) return false;
        const auto s = key_state_named(state);
        if (!s) return fail(where + "/state", "found " + json_quote(state) + ", not a key state");
        out.state = *s;
        const auto cp = k.find("checkpoint");
        if (cp != k.end() && !cp->is_null()) {
            if (!cp->is_object()) {
                return fail(where + "/checkpoint",
                            "found " + found(*cp) + ", expected an object or null");
            }
            out.checkpointed = true;
            if (!text(*cp, "resource", where + "/checkpoint", out.resource, true) ||
                !text(*cp, "group", where + "/checkpoint", out.group, true)) {
                return false;
            }
        }
        const auto lr = k.find("last_repair");
        if (lr != k.end() && !lr->is_null()) {
            std::string t;
            if (!utc(k, "last_repair", where, t)) return false;
            out.last_repair = t;
        }
        return true;
    }

    // One entry of "checkpoints_unknown": the resource is named; its group
    // may be "" (not learned either), and so may the reason.
    bool unread(const Json& u, const std::string& where, UnreadCheckpoints& out) {
        if (!u.is_object()) return fail(where, "found " + found(u) + ", expected an object");
        return text(u, "resource", where, out.resource) &&
               text(u, "group", where, out.group, true) && text(u, "why", where, out.why, true);
    }
};

// A text from Windows for checkpoints_unknown: no control character, at most
// kMaxSummaryTextChars bytes, not cut inside a UTF-8 sequence.
std::string summary_text(std::string s) {
    for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    if (s.size() > kMaxSummaryTextChars) {
        std::size_t cut = kMaxSummaryTextChars;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
    }
    return s;
}

}  // namespace

std::string serialize_summary(const NodeSummary& s) {
    Json keys = Json::array();
    for (const PublishedKey& k : s.keys) {
        keys.push_back(
            {{"path", k.path},
             {"state", to_string(k.state)},
             {"checkpoint",
              k.checkpointed ? Json{{"resource", k.resource}, {"group", k.group}} : Json(nullptr)},
             {"last_repair", when(k.last_repair)}});
    }
    Json unknown = Json::array();
    for (const UnreadCheckpoints& u : s.checkpoints_unknown) {
        unknown.push_back({{"resource", summary_text(u.resource)},
                           {"group", summary_text(u.group)},
                           {"why", summary_text(u.why)}});
    }
    const Json doc = {{"format", kSummaryFormat},
                      {"node", s.node},
                      {"version", s.version},
                      {"mode", s.mode},
                      {"time", s.time},
                      {"heartbeat", s.heartbeat},
                      {"sweep_interval_s", s.sweep_interval_s},
                      {"stopped", s.stopped},
                      {"keys", std::move(keys)},
                      {"checkpoints_unknown", std::move(unknown)}};
    return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

SummaryRead parse(std::string_view text, std::string_view node) {
    SummaryRead out;
    if (text.size() > kMaxSummaryBytes) {
        out.problem = "the summary is " + std::to_string(text.size()) + " bytes, more than " +
                      std::to_string(kMaxSummaryBytes);
        return out;
    }
    std::vector<ConfigProblem> problems;
    const std::optional<Json> doc = parse_json_guarded(text, problems);
    if (!problems.empty()) {
        const ConfigProblem& p = problems.front();
        out.problem = (p.pointer.empty() ? std::string() : p.pointer + ": ") + p.message;
        return out;
    }
    if (!doc) {
        out.problem = "not JSON";
        return out;
    }
    Reader r;
    NodeSummary s;
    auto done = [&](bool ok) {
        if (ok) {
            out.summary = std::move(s);
        } else {
            out.problem = r.problem;
        }
        return out;
    };
    if (!doc->is_object())
        return done(r.fail("/", "found " + found(*doc) + ", expected an object"));
    const auto format = doc->find("format");
    if (format == doc->end()) return done(r.fail("/format", "missing"));
    const auto f = integral_value(*format);
    if (!f || *f != kSummaryFormat) {
        return done(r.fail("/format", "found " + found(*format) + ", expected " +
                                          std::to_string(kSummaryFormat) +
                                          " (written by another PermWatch version?)"));
    }
    if (!r.text(*doc, "node", "", s.node)) return done(false);
    if (!iequals(s.node, node)) {
        return done(r.fail("/node", "names " + json_quote(s.node) + ", but it was filed under " +
                                        json_quote(node)));
    }
    if (!r.text(*doc, "version", "", s.version) || !r.text(*doc, "mode", "", s.mode))
        return done(false);
    if (s.mode != "enforce" && s.mode != "audit") {
        return done(r.fail("/mode", "found " + json_quote(s.mode) + ", expected enforce or audit"));
    }
    if (!r.utc(*doc, "time", "", s.time) || !r.utc(*doc, "heartbeat", "", s.heartbeat))
        return done(false);
    const auto sweep = doc->find("sweep_interval_s");
    if (sweep == doc->end()) return done(r.fail("/sweep_interval_s", "missing"));
    const auto interval = integral_value(*sweep);
    // A week at most: an interval beyond that would keep a dead node "fresh".
    if (!interval || *interval < 1 || *interval > 7 * 24 * 3600) {
        return done(r.fail("/sweep_interval_s",
                           "found " + found(*sweep) + ", expected whole seconds from 1 to 604800"));
    }
    s.sweep_interval_s = static_cast<int>(*interval);
    const auto stopped = doc->find("stopped");
    if (stopped == doc->end() || !stopped->is_boolean()) {
        return done(r.fail("/stopped", stopped == doc->end()
                                           ? std::string("missing")
                                           : "found " + found(*stopped) + ", expected a boolean"));
    }
    s.stopped = stopped->get<bool>();
    const auto keys = doc->find("keys");
    if (keys == doc->end() || !keys->is_array()) {
        return done(r.fail("/keys", keys == doc->end()
                                        ? std::string("missing")
                                        : "found " + found(*keys) + ", expected an array"));
    }
    if (keys->size() > kMaxSummaryKeys) {
        return done(r.fail("/keys", std::to_string(keys->size()) + " keys, more than " +
                                        std::to_string(kMaxSummaryKeys)));
    }
    for (std::size_t i = 0; i < keys->size(); ++i) {
        PublishedKey k;
        if (!r.key((*keys)[i], "/keys/" + std::to_string(i), k)) return done(false);
        s.keys.push_back(std::move(k));
    }
    // Absent in a summary from a PermWatch that did not publish it: none.
    const auto unknown = doc->find("checkpoints_unknown");
    if (unknown != doc->end()) {
        if (!unknown->is_array()) {
            return done(
                r.fail("/checkpoints_unknown", "found " + found(*unknown) + ", expected an array"));
        }
        if (unknown->size() > kMaxSummaryUnreadCheckpoints) {
            return done(r.fail("/checkpoints_unknown",
                               std::to_string(unknown->size()) + " resources, more than " +
                                   std::to_string(kMaxSummaryUnreadCheckpoints)));
        }
        for (std::size_t i = 0; i < unknown->size(); ++i) {
            UnreadCheckpoints u;
            if (!r.unread((*unknown)[i], "/checkpoints_unknown/" + std::to_string(i), u))
                return done(false);
            s.checkpoints_unknown.push_back(std::move(u));
        }
    }
    return done(true);
}

}  // namespace

SummaryRead parse_summary(std::string_view text, std::string_view node) {
    SummaryRead out = parse(text, node);
    // The problem goes to a terminal and to JSON output: no control
    // character that the summary's author put there may reach them.
    for (char& c : out.problem) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return out;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view t) {
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
    if (t.size() != 20 && t.size() != 24) return std::nullopt;
    if (!digits(t, 0, 4, y) || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
        !digits(t, 8, 2, d) || t[10] != 'T' || !digits(t, 11, 2, h) || t[13] != ':' ||
        !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s)) {
        return std::nullopt;
    }
    if (t.size() == 24 && (t[19] != '.' || !digits(t, 20, 3, ms))) return std::nullopt;
    if (t.back() != 'Z') return std::nullopt;
    static constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 ||
        s > 59) {
        return std::nullopt;
    }
    using namespace std::chrono;
    const std::int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return system_clock::time_point(
        duration_cast<system_clock::duration>(seconds(secs) + milliseconds(ms)));
}

}  // namespace permwatch
