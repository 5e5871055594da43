#include "core/policy/config.hpp"

namespace permwatch {

std::string Principal::text() const {
    switch (kind) {
        case Kind::sid:
            return sid.str();
        case Kind::account_name:
            return name;
        case Kind::service_account_of:
            return "service_account_of:" + name;
    }
    return name;
}

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::enforce:
            return "enforce";
        case Mode::audit:
            return "audit";
    }
    return "unknown";
}

std::string describe_problem(const std::string& file, const ConfigProblem& problem,
                             std::string_view kind) {
    std::string line = std::string(kind) + " " + file + ": ";
    if (!problem.pointer.empty()) line += problem.pointer + ": ";
    return line + problem.message;
}

std::string describe_problems(const std::string& file, const std::vector<ConfigProblem>& problems) {
    std::string joined;
    for (const ConfigProblem& p : problems) {
        if (!joined.empty()) joined += "; ";
        joined += describe_problem(file, p);
    }
    return joined;
}

}  // namespace permwatch
