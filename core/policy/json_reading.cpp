#include "core/policy/json_reading.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "core/policy/json_pointer.hpp"

namespace permwatch {

namespace {

// nlohmann keeps the last of two members with the same name without a word;
// an administrator who wrote "mode" twice should hear about it. The parser
// callback sees keys in order, so track where it is as a JSON pointer.
class DuplicateFinder {
public:
    explicit DuplicateFinder(std::vector<ConfigProblem>& problems) : problems_(problems) {}

    bool operator()(int /*depth*/, nlohmann::detail::parse_event_t event, Json& parsed) {
        using E = nlohmann::detail::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start:
                frames_.push_back({event == E::object_start, next_token(), {}, {}, 0});
                break;
            case E::object_end:
            case E::array_end:
                if (!frames_.empty()) frames_.pop_back();
                break;
            case E::key:
                if (!frames_.empty() && parsed.is_string()) {
                    Frame& f = frames_.back();
                    const auto& name = parsed.get_ref<const std::string&>();
                    if (!f.names.insert(name).second) {
                        problems_.push_back(
                            {json_pointer_child(pointer(), name),
                             "found member " + json_quote(name) +
                                 " a second time in the same object; expected each member "
                                 "once (JSON parsers would silently keep only one of them)"});
                    }
                    f.last_key = name;
                }
                break;
            case E::value:
                if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
                break;
        }
        return true;
    }

private:
    // Each frame keeps only its own token, not its whole pointer: a document
    // nested 100,000 deep must not cost 100,000 squared bytes.
    struct Frame {
        bool is_object;
        std::string token;  // how the parent names it ("" for the root)
        std::set<std::string> names;
        std::string last_key;
        std::size_t index;
    };

    std::string next_token() {
        if (frames_.empty()) return "";
        Frame& f = frames_.back();
        return f.is_object ? f.last_key : std::to_string(f.index++);
    }

    std::string pointer() const {
        std::string out;
        for (std::size_t i = 1; i < frames_.size(); ++i)
            out = json_pointer_child(out, frames_[i].token);
        return out;
    }

    std::vector<ConfigProblem>& problems_;
    std::vector<Frame> frames_;
};

// nlohmann builds and copies documents recursively, so a file of 100,000
// nested brackets would overflow the stack before any rule could look at it.
// A config is 6 levels deep; refuse far deeper ones up front. Returns the byte
// offset where the limit is passed.
constexpr int kMaxDepth = 64;

std::optional<std::size_t> too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::nullopt;
}

std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

// nlohmann quotes the whole offending token ("number overflow parsing
// '1222...'"); one line of an event log entry should stay readable.
// Its "last read" part also copies raw bytes of the file, which may not be
// UTF-8; messages end up in JSON output and the event log, so keep them ASCII.
std::string shorten(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    constexpr std::size_t kMax = 300;
    if (text.size() > kMax) {
        text.resize(kMax);
        text += "...";
    }
    return text;
}

ConfigProblem syntax_problem(std::string_view text, const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and points at the last character read.
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const auto [line, column] = line_column(text, end);
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line
    // L, column C: DETAIL"; keep DETAIL, the position is said once above.
    std::string detail = e.what();
    if (auto at = detail.find("column "); at != std::string::npos) {
        if (auto colon = detail.find(": ", at); colon != std::string::npos) {
            detail = detail.substr(colon + 2);
        }
    }
    return {"", "not valid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + " (byte " + std::to_string(e.byte) +
                    "): " + shorten(std::move(detail))};
}

}  // namespace

std::optional<Json> parse_json_guarded(std::string_view text,
                                       std::vector<ConfigProblem>& problems) {
    if (const auto deep = too_deep(text)) {
        const auto [line, column] = line_column(text, *deep);
        problems.push_back({"", "found arrays or objects nested more than " +
                                    std::to_string(kMaxDepth) + " levels deep at line " +
                                    std::to_string(line) + ", column " + std::to_string(column) +
                                    "; expected a config (it needs 6 levels)"});
        return std::nullopt;
    }
    Json doc;
    try {
        doc = Json::parse(text.begin(), text.end(), DuplicateFinder(problems));
    } catch (const nlohmann::json::parse_error& e) {
        problems.push_back(syntax_problem(text, e));
        return std::nullopt;
    } catch (const nlohmann::json::exception& e) {
        // Not a syntax error but still the parser's: a number such as 1e400
        // that does not fit a double (out_of_range.406), which has no position.
        std::string detail = e.what();
        if (auto close = detail.find("] "); close != std::string::npos) {
            detail = detail.substr(close + 2);
        }
        problems.push_back({"", "not valid JSON: " + shorten(std::move(detail))});
        return std::nullopt;
    }
    return doc;
}

std::string json_quote(std::string_view s) {
    // dump() escapes quotes and control characters; replace keeps it from
    // throwing on a multi-byte character cut by the truncation.
    constexpr std::size_t kMax = 60;
    Json j = std::string(s.substr(0, kMax));
    std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > kMax) out.insert(out.size() - 1, "...");
    return out;
}

std::string found(const Json& v) {
    switch (v.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::boolean:
            return v.get<bool>() ? "the boolean true" : "the boolean false";
        case Json::value_t::string:
            return "the string " + json_quote(v.get_ref<const std::string&>());
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "the number " + v.dump();
        case Json::value_t::object:
            return v.empty() ? "an empty object" : "an object";
        case Json::value_t::array:
            return v.empty() ? "an empty array" : "an array";
        default:
            return "a value of an unexpected kind";
    }
}

std::optional<std::int64_t> integral_value(const Json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return u > max ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::floor(d) != d) return std::nullopt;
        if (d >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
        if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

}  // namespace permwatch
