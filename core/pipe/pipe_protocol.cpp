#include "core/pipe/pipe_protocol.hpp"

namespace permwatch {

using json = nlohmann::ordered_json;

std::string pipe_error(std::string_view message) {
    return json{{"ok", false}, {"error", message}}.dump(-1, ' ', false,
                                                        json::error_handler_t::replace);
}

std::string handle_pipe_request(std::string_view line, const IsAdmin& is_admin,
                                StatusService& service) {
    if (line.size() > max_request_bytes) return pipe_error("request too long");
    json request;
    try {
        request = json::parse(line);
    } catch (const json::exception&) {
        return pipe_error("malformed JSON; expected {\"cmd\":\"status\"}");
    }
    if (!request.is_object() || !request.contains("cmd") || !request["cmd"].is_string()) {
        return pipe_error("expected an object with a string \"cmd\": status, check or reload");
    }
    const std::string cmd = request["cmd"].get<std::string>();
    try {
        if (cmd == "status") {
            json reply = {{"ok", true}};
            reply.update(to_json(service.status()));
            return reply.dump(-1, ' ', false, json::error_handler_t::replace);
        }
        if (cmd == "check" || cmd == "reload") {
            if (!is_admin()) return pipe_error(cmd + " is for administrators only");
            if (cmd == "check") {
                json reply = to_json(service.check_now());
                reply["ok"] = reply.value("ok", true);
                return reply.dump(-1, ' ', false, json::error_handler_t::replace);
            }
            if (auto refusal = service.reload()) {
                json reply = {{"ok", false}, {"error", "configuration rejected: " + refusal->text}};
                if (!refusal->problems.empty()) {
                    json problems = json::array();
                    for (const ConfigProblem& p : refusal->problems)
                        problems.push_back({{"pointer", p.pointer}, {"message", p.message}});
                    reply["problems"] = std::move(problems);
                }
                return reply.dump(-1, ' ', false, json::error_handler_t::replace);
            }
            return json{{"ok", true}, {"reloaded", true}}.dump();
        }
    } catch (const std::exception& e) {
        // A failing command answers with an error; the server keeps serving.
        return pipe_error(cmd + " failed: " + e.what());
    }
    return pipe_error("unknown cmd '" + cmd + "'; expected status, check or reload");
}

}  // namespace permwatch
