// Sizes from clusapi.dll are checked before they are used.
// The adapter's use of these is tested under Wine against the fake clusapi
// taught to lie (tests/cluster/test_cluster_adapter.cpp, Cluster.Hostile*).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "core/common/foreign_sizes.hpp"

namespace permwatch {
namespace test_foreign_sizes {

TEST(ForeignSizes, AReasonableAskGrowsTheBufferWithRoomForTheNul) {
    EXPECT_EQ(grown_size(300, 256, kMaxForeignNameChars), 301u);
    // "Too small" for a name of exactly the buffer's length: room for the NUL.
    EXPECT_EQ(grown_size(256, 256, kMaxForeignNameChars), 257u);
    EXPECT_EQ(grown_size(kMaxForeignNameChars - 1, 256, kMaxForeignNameChars),
              kMaxForeignNameChars);
}

TEST(ForeignSizes, AnAskAboveTheCapOrBelowTheBufferIsRefused) {
    EXPECT_FALSE(grown_size(kMaxForeignNameChars, 256, kMaxForeignNameChars));
    EXPECT_FALSE(grown_size(0x7FFFFFFF, 256, kMaxForeignNameChars));
    EXPECT_FALSE(grown_size(0xFFFFFFFF, 256, kMaxForeignNameChars));  // would wrap as cch + 1
    EXPECT_FALSE(grown_size(std::numeric_limits<std::uint64_t>::max(), 256, kMaxForeignNameChars));
    EXPECT_FALSE(grown_size(0xFFFFFFF0, 1024, kMaxForeignPayloadBytes));
    // "More data" that asks for less than the buffer already has: a lie.
    EXPECT_FALSE(grown_size(100, 256, kMaxForeignNameChars));
    EXPECT_FALSE(grown_size(0, 1024, kMaxForeignPayloadBytes));
    // A loop that grows by what it is told ends at the cap.
    std::size_t size = 256;
    int rounds = 0;
    while (auto next = grown_size(size * 2, size, kMaxForeignNameChars)) {
        size = *next;
        ++rounds;
    }
    EXPECT_LT(size, kMaxForeignNameChars);
    EXPECT_LE(rounds, 4);
}

TEST(ForeignSizes, TextLengthStopsAtTheNulOrTheEndOfTheBuffer) {
    const wchar_t terminated[8] = L"NODE1";
    EXPECT_EQ(bounded_length(terminated, 8), 5u);
    // No NUL anywhere in the buffer: its whole size, and not one character past it.
    wchar_t full[8];
    for (wchar_t& c : full) c = L'A';
    EXPECT_EQ(bounded_length(full, 8), 8u);
    EXPECT_EQ(bounded_length(full, 3), 3u);
    EXPECT_EQ(bounded_length(nullptr, 8), 0u);
    EXPECT_EQ(bounded_length(terminated, 0), 0u);
}

TEST(ForeignSizes, ControlCharactersAreFound) {
    EXPECT_FALSE(has_control_char(L"SOFTWARE\\Example", 16));
    EXPECT_TRUE(has_control_char(L"SOFT\nWARE", 9));
    EXPECT_TRUE(has_control_char(L"SOFT\x7f", 5));
    EXPECT_TRUE(has_control_char(L"A\x01", 2));
    EXPECT_FALSE(has_control_char(L"\x00e9t\x00e9", 3));  // accents are text
}

}  // namespace test_foreign_sizes
}  // namespace permwatch
