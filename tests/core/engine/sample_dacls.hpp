// The DACLs the one-shot command tests (repair, rollback) move a key between.
#pragma once

#include <string>

namespace permwatch::test {

// Before a repair: Users may read, SYSTEM is not named.
inline const std::string kDaclBefore = "O:BAG:SYD:(A;CI;KR;;;BU)";
// After it: SYSTEM has full control too.
inline const std::string kDaclAfter = "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;SY)";

}  // namespace permwatch::test
