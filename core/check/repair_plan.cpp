#include "core/check/repair_plan.hpp"

#include <algorithm>

#include "core/security/canonical_order.hpp"

namespace permwatch {

namespace {

// Takes the bits a deny ACE blocks out of it, where PermWatch may: only an
// explicit deny that names exactly the principal. Returns false (and says why)
// when a deny it must not touch blocks the requirement.
// Denies it empties are marked in `emptied`, to be dropped afterwards.
bool trim_denies(Acl& acl, std::vector<bool>& emptied, const ResolvedRequirement& r,
                 const std::string& who, AccessMask required, std::uint8_t inherit,
                 std::vector<std::string>& blockers) {
    const Sid& sid = *r.sid;
    bool ok = true;
    emptied.resize(acl.aces.size(), false);
    for (std::size_t i = 0; i < acl.aces.size(); ++i) {
        Ace& ace = acl.aces[i];
        if (!is_deny(ace.type)) continue;
        if (!deny_applies(ace.sid, r)) continue;
        if (!deny_reaches(ace, inherit)) continue;
        const AccessMask mapped = map_generic_to_key_rights(ace.mask);
        if ((mapped & required) == 0) continue;
        // Only a plain deny is trimmed: an object or conditional deny was
        // written for a reason PermWatch cannot read, so it is left as it is.
        if (ace.type == AceType::deny && ace.sid == sid && !ace.is_inherited()) {
            ace.mask = mapped & ~required;
            if (ace.mask == 0) emptied[i] = true;
            continue;
        }
        ok = false;
        blockers.push_back(deny_ace_words(ace) + " for " + deny_sid_words(ace.sid, r) + " blocks " +
                           describe_rights(mapped & required) + " for " + who +
                           "; PermWatch does not change it");
    }
    return ok;
}

void grant(Acl& acl, const Sid& sid, AccessMask required, std::uint8_t inherit) {
    const auto same = std::find_if(acl.aces.begin(), acl.aces.end(), [&](const Ace& ace) {
        return ace.type == AceType::allow && !ace.is_inherited() && ace.sid == sid &&
               ace.flags == inherit;
    });
    if (same != acl.aces.end()) {
        same->mask = map_generic_to_key_rights(same->mask) | required;
    } else {
        acl.aces.push_back(Ace{AceType::allow, inherit, required, sid});
    }
}

}  // namespace

RepairPlan plan_repair(const SecurityDescriptor& current,
                       const std::vector<ResolvedRequirement>& requirements) {
    RepairPlan plan;
    for (const ResolvedRequirement& r : requirements) {
        if (!r.sid) {
            plan.blockers.push_back("cannot resolve " + r.requirement.principal.text() + ": " +
                                    r.unresolved_reason);
        }
    }
    // A null DACL already grants everything; replacing it would take access
    // away from everyone else, which is not PermWatch's call to make.
    if (!current.dacl || current.dacl->is_null) return plan;

    Acl acl = *current.dacl;
    std::vector<bool> emptied(acl.aces.size(), false);
    bool deny_blocked = false;
    for (const ResolvedRequirement& r : requirements) {
        if (!r.sid) continue;
        const AccessMask required = map_generic_to_key_rights(r.requirement.rights);
        const std::string who = r.requirement.principal.kind == Principal::Kind::sid
                                    ? r.sid->str()
                                    : r.requirement.principal.text();
        if (!trim_denies(acl, emptied, r, who, required, r.requirement.inherit, plan.blockers)) {
            deny_blocked = true;
        }
        SecurityDescriptor probe = current;
        probe.dacl = acl;
        const auto still = evaluate(probe, {r});
        const bool missing = std::any_of(still.begin(), still.end(), [](const Finding& f) {
            return f.kind == FindingKind::missing_rights || f.kind == FindingKind::not_inherited;
        });
        if (missing) grant(acl, *r.sid, required, r.requirement.inherit);
    }
    for (std::size_t i = emptied.size(); i-- > 0;) {
        if (emptied[i]) acl.aces.erase(acl.aces.begin() + static_cast<std::ptrdiff_t>(i));
    }
    acl = to_canonical(std::move(acl));

    // A deny PermWatch may not touch means the key stays broken: write nothing
    // rather than a change that does not fix it.
    if (deny_blocked || acl == *current.dacl) return plan;
    plan.planned = current;
    plan.planned->dacl = std::move(acl);
    return plan;
}

}  // namespace permwatch
