#include "core/check/evaluation.hpp"

#include <algorithm>

#include "core/security/canonical_order.hpp"
#include "core/security/service_sid.hpp"

namespace permwatch {

std::string_view to_string(FindingKind kind) {
    switch (kind) {
        case FindingKind::missing_rights:
            return "missing_rights";
        case FindingKind::blocked_by_deny:
            return "blocked_by_deny";
        case FindingKind::not_inherited:
            return "not_inherited";
        case FindingKind::non_canonical:
            return "non_canonical";
        case FindingKind::null_dacl:
            return "null_dacl";
        case FindingKind::unresolved_account:
            return "unresolved_account";
        case FindingKind::key_missing:
            return "key_missing";
        case FindingKind::read_failed:
            return "read_failed";
        case FindingKind::repair_failed:
            return "repair_failed";
    }
    return "unknown";
}

std::string_view to_string(Severity severity) {
    return severity == Severity::warning ? "warning" : "error";
}

std::vector<ResolvedRequirement> resolve_requirements(const KeyPolicy& key,
                                                      AccountResolver& accounts) {
    std::vector<ResolvedRequirement> resolved;
    resolved.reserve(key.require.size());
    for (const Requirement& req : key.require) {
        ResolvedRequirement r{req, std::nullopt, {}};
        AccountLookup lookup;
        switch (req.principal.kind) {
            case Principal::Kind::sid:
                lookup.sid = req.principal.sid;
                break;
            case Principal::Kind::account_name:
                lookup = accounts.account_sid(req.principal.name);
                break;
            case Principal::Kind::service_account_of:
                lookup = accounts.service_account_sid(req.principal.name);
                break;
        }
        r.sid = lookup.sid;
        if (!r.sid) r.unresolved_reason = lookup.error.empty() ? "not found" : lookup.error;
        if (r.sid) r.groups = accounts.account_groups(*r.sid);
        if (req.principal.kind == Principal::Kind::service_account_of)
            r.service_sid = service_sid_of(req.principal.name);
        resolved.push_back(std::move(r));
    }
    return resolved;
}

namespace {

const Sid& service_group_sid() {
    static const Sid sid(5, {6});
    return sid;
}

struct NamedSid {
    Sid sid;
    const char* words;
};

// In every logon token but Everyone's and Anonymous's.
const std::vector<NamedSid>& logon_sids() {
    static const std::vector<NamedSid> sids = {
        {Sid(5, {11}), "Authenticated Users (S-1-5-11)"},
        {Sid(5, {32, 545}), "Users (S-1-5-32-545)"},
        {Sid(2, {0}), "LOCAL (S-1-2-0)"},
        {Sid(5, {15}), "This Organization (S-1-5-15)"},
    };
    return sids;
}

bool is_service_account(const ResolvedRequirement& r) {
    if (r.requirement.principal.kind == Principal::Kind::service_account_of) return true;
    const Sid& sid = *r.sid;
    if (sid.authority() != 5 || sid.sub_authorities().empty()) return false;
    const std::uint32_t first = sid.sub_authorities()[0];
    return (first == 19 || first == 20) ? sid.sub_authorities().size() == 1 : first == 80;
}

bool is_per_service_sid(const Sid& sid) {
    return sid.authority() == 5 && sid.sub_authorities().size() == 6 &&
           sid.sub_authorities()[0] == 80;
}

bool is_service_sid_of(const Sid& deny_sid, const ResolvedRequirement& r) {
    if (!is_per_service_sid(deny_sid)) return false;
    if (r.service_sid) return deny_sid == *r.service_sid;
    // A service whose name cannot be hashed here: any service's SID may be its own.
    return r.requirement.principal.kind == Principal::Kind::service_account_of;
}

bool is_group_of(const Sid& deny_sid, const ResolvedRequirement& r) {
    return std::find(r.groups.begin(), r.groups.end(), deny_sid) != r.groups.end();
}

}  // namespace

bool deny_applies(const Sid& deny_sid, const ResolvedRequirement& r) {
    if (!r.sid) return false;
    if (deny_sid == *r.sid || deny_sid == everyone_sid()) return true;
    // Everyone and Anonymous hold tokens without the logon groups.
    if (*r.sid == everyone_sid() || *r.sid == Sid(5, {7})) return false;
    for (const NamedSid& n : logon_sids())
        if (deny_sid == n.sid) return true;
    if (is_group_of(deny_sid, r)) return true;
    if (!is_service_account(r)) return false;
    return deny_sid == service_group_sid() || deny_sid == all_services_sid() ||
           is_service_sid_of(deny_sid, r);
}

std::string deny_sid_words(const Sid& deny_sid) {
    if (deny_sid == everyone_sid()) return "Everyone";
    for (const NamedSid& n : logon_sids())
        if (deny_sid == n.sid) return n.words;
    if (deny_sid == service_group_sid()) return "SERVICE (S-1-5-6)";
    if (deny_sid == all_services_sid()) return "ALL SERVICES (S-1-5-80-0)";
    return deny_sid.str();
}

std::string deny_sid_words(const Sid& deny_sid, const ResolvedRequirement& r) {
    std::string words = deny_sid_words(deny_sid);
    if (words != deny_sid.str() || (r.sid && deny_sid == *r.sid)) return words;
    if (is_service_sid_of(deny_sid, r)) return "the service's own SID (" + words + ")";
    if (is_group_of(deny_sid, r)) return words + " (a group of the account)";
    return words;
}

std::string deny_ace_words(const Ace& ace) {
    const std::string kind = deny_kind_words(ace.type);
    if (ace.is_inherited()) return "an inherited " + kind + " ACE";
    return (kind[0] == 'o' ? "an " : "a ") + kind + " ACE";
}

std::string deny_kind_words(AceType type) {
    switch (type) {
        case AceType::deny_callback:
        case AceType::deny_callback_object:
            return "conditional deny";
        case AceType::deny_object:
            // A registry access check passes no object type list. Windows
            // then applies an object deny without an object type like a
            // plain one, and, by its documentation, skips one with an object
            // type. PermWatch counts both: the GUID is attacker-chosen bytes
            // to it, and a deny missed costs a failover where one counted
            // costs a finding.
            return "object deny";
        default:
            return "deny";
    }
}

namespace {

// Which parts of the tree a requirement or an ACE reaches.
struct Reach {
    bool key = false;      // the key itself
    bool subkeys = false;  // subkeys, through CI (and OI where asked for)
};

Reach required_reach(std::uint8_t inherit) {
    return {(inherit & ace_flags::inherit_only) == 0,
            (inherit & (ace_flags::container_inherit | ace_flags::object_inherit)) != 0};
}

// An ACE reaches the subkeys a requirement asks for when it carries every
// inheritance flag the requirement names, and is not cut off by NP unless the
// requirement itself only asks for the first level.
Reach ace_reach(const Ace& ace, std::uint8_t required_inherit) {
    const std::uint8_t wanted =
        required_inherit & (ace_flags::container_inherit | ace_flags::object_inherit);
    const bool np_ok = (ace.flags & ace_flags::no_propagate) == 0 ||
                       (required_inherit & ace_flags::no_propagate) != 0;
    return {(ace.flags & ace_flags::inherit_only) == 0,
            wanted != 0 && (ace.flags & wanted) == wanted && np_ok};
}

}  // namespace

bool deny_reaches(const Ace& deny, std::uint8_t required_inherit) {
    const Reach need = required_reach(required_inherit);
    const std::uint8_t wanted =
        required_inherit & (ace_flags::container_inherit | ace_flags::object_inherit);
    const bool on_key = (deny.flags & ace_flags::inherit_only) == 0;
    const bool on_subkeys = (deny.flags & wanted) != 0;
    return (need.key && on_key) || (need.subkeys && on_subkeys);
}

namespace {

struct Granted {
    AccessMask key = 0;
    AccessMask subkeys = 0;
};

Granted granted_to(const Acl& acl, const Sid& sid, std::uint8_t required_inherit) {
    Granted g;
    for (const Ace& ace : acl.aces) {
        if (!grants_for_sure(ace.type) || ace.sid != sid) continue;
        const Reach r = ace_reach(ace, required_inherit);
        const AccessMask m = map_generic_to_key_rights(ace.mask);
        if (r.key) g.key |= m;
        if (r.subkeys) g.subkeys |= m;
    }
    return g;
}

std::string principal_words(const ResolvedRequirement& r) {
    const std::string sid = r.sid->str();
    if (r.requirement.principal.kind == Principal::Kind::sid) return sid;
    return r.requirement.principal.text() + " (" + sid + ")";
}

}  // namespace

std::vector<Finding> evaluate(const SecurityDescriptor& sd,
                              const std::vector<ResolvedRequirement>& requirements) {
    std::vector<Finding> findings;
    for (const ResolvedRequirement& r : requirements) {
        if (!r.sid) {
            findings.push_back(
                {FindingKind::unresolved_account, Severity::error, r.requirement.principal.text(),
                 "cannot resolve " + r.requirement.principal.text() + ": " + r.unresolved_reason});
        }
    }
    // No DACL at all, or a null DACL, grants everyone everything: every
    // requirement is met, but the key is wide open.
    if (!sd.dacl || sd.dacl->is_null) {
        findings.push_back({FindingKind::null_dacl, Severity::warning, std::nullopt,
                            "the key has a null DACL: everyone has full access"});
        return findings;
    }
    const Acl& acl = *sd.dacl;
    if (!is_canonical(acl)) {
        findings.push_back({FindingKind::non_canonical, Severity::error, std::nullopt,
                            "the DACL is not in canonical order (explicit deny, explicit allow, "
                            "inherited)"});
    }
    for (const ResolvedRequirement& r : requirements) {
        if (!r.sid) continue;
        const AccessMask required = map_generic_to_key_rights(r.requirement.rights);
        const Reach need = required_reach(r.requirement.inherit);
        const Granted g = granted_to(acl, *r.sid, r.requirement.inherit);
        const AccessMask missing_key = need.key ? required & ~g.key : 0;
        const AccessMask missing_sub = need.subkeys ? required & ~g.subkeys : 0;
        // Only built when a finding needs it: most checks find nothing.
        std::string who;
        if (missing_key != 0 || missing_sub != 0) who = principal_words(r);
        if (missing_key != 0) {
            std::string where = missing_sub != 0 ? "on the key and its subkeys" : "on the key";
            findings.push_back(
                {FindingKind::missing_rights, Severity::error, r.sid->str(),
                 who + " lacks " + describe_rights(missing_key | missing_sub) + " " + where});
        } else if (missing_sub != 0) {
            findings.push_back(
                {FindingKind::not_inherited, Severity::error, r.sid->str(),
                 who + " has " + describe_rights(missing_sub) +
                     " on the key but it is not inherited by subkeys (needs an ACE with CI "
                     "and without NP)"});
        }
        for (const Ace& ace : acl.aces) {
            // Every kind of deny: a callback deny applies whenever its
            // condition holds, which PermWatch cannot tell.
            if (!is_deny(ace.type)) continue;
            if (!deny_applies(ace.sid, r)) continue;
            const AccessMask blocked = map_generic_to_key_rights(ace.mask) & required;
            if (blocked != 0 && deny_reaches(ace, r.requirement.inherit)) {
                if (who.empty()) who = principal_words(r);
                const std::string whom = deny_sid_words(ace.sid, r);
                findings.push_back({FindingKind::blocked_by_deny, Severity::error, r.sid->str(),
                                    deny_ace_words(ace) + " for " + whom + " takes " +
                                        describe_rights(blocked) + " away from " + who});
            }
        }
    }
    return findings;
}

}  // namespace permwatch
