#include "core/security/key_path.hpp"

#include "core/common/ascii.hpp"

namespace permwatch {

namespace {
constexpr std::string_view kHklmLong = "HKEY_LOCAL_MACHINE\\";
}  // namespace

std::optional<std::string> normalize_key_path(std::string_view path) {
    std::string_view rest;
    if (istarts_with(path, kHklm)) {
        rest = path.substr(kHklm.size());
    } else if (istarts_with(path, kHklmLong)) {
        rest = path.substr(kHklmLong.size());
    } else {
        return std::nullopt;
    }
    std::string out(kHklm);
    out += rest;
    return out;
}

bool same_key_path(std::string_view a, std::string_view b) {
    // Registry names compare case-insensitively. Only ASCII is folded here:
    // Windows folds all of Unicode, so two non-ASCII spellings of one key may
    // go unnoticed (then both entries are kept, which is harmless).
    const auto na = normalize_key_path(a);
    const auto nb = normalize_key_path(b);
    return iequals(na ? std::string_view(*na) : a, nb ? std::string_view(*nb) : b);
}

bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key) {
    const auto k = normalize_key_path(key);
    const auto c = normalize_key_path(checkpoint_key);
    return k && c && istarts_with(*k, *c) && (k->size() == c->size() || (*k)[c->size()] == '\\');
}

}  // namespace permwatch
