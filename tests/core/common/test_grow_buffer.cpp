// The one loop that reads an answer of unknown size from clusapi: offer,
// grow to the ask within bounds, call once more.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/grow_buffer.hpp"

namespace permwatch {
namespace test_grow_buffer {

constexpr std::uint32_t kOk = 0;
constexpr std::uint32_t kNotFound = 2;

// A callee holding `text`: fills the buffer when it fits (size out: the
// characters written, without the NUL), else says "more data" with the
// characters it needs, as ClusterEnum does. Counts calls and offers.
struct TextCallee {
    explicit TextCallee(std::u16string answer) : text(std::move(answer)) {}
    std::u16string text;
    int calls = 0;
    std::vector<std::uint32_t> offered;

    std::uint32_t operator()(char16_t* buffer, std::uint32_t& size) {
        ++calls;
        offered.push_back(size);
        if (size <= text.size()) {
            size = static_cast<std::uint32_t>(text.size());
            return kStatusMoreData;
        }
        text.copy(buffer, text.size());
        buffer[text.size()] = u'\0';
        size = static_cast<std::uint32_t>(text.size());
        return kOk;
    }
};

TEST(GrowBuffer, AnAnswerThatFitsTakesOneCall) {
    TextCallee callee{u"NODE1"};
    const auto got = call_growing<char16_t, std::uint32_t>({16, 4096, 0}, std::ref(callee));
    EXPECT_TRUE(got.ok());
    EXPECT_EQ(callee.calls, 1);
    EXPECT_EQ(got.filled(), 5u);
    EXPECT_EQ(std::u16string(got.buffer.data(), got.filled()), u"NODE1");
}

TEST(GrowBuffer, GrowsToTheAskAndCallsOnceMore) {
    TextCallee callee{std::u16string(300, u'x')};
    const auto got = call_growing<char16_t, std::uint32_t>({256, 4096, 0}, std::ref(callee));
    EXPECT_TRUE(got.ok());
    EXPECT_FALSE(got.refused);
    EXPECT_EQ(callee.offered, (std::vector<std::uint32_t>{256, 301}));
    EXPECT_EQ(std::u16string(got.buffer.data(), got.filled()), callee.text);
}

TEST(GrowBuffer, TheSlackIsOfferedAndZeroed) {
    TextCallee callee{std::u16string(20, u'y')};
    const auto got = call_growing<char16_t, std::uint32_t>({8, 4096, 2}, std::ref(callee));
    EXPECT_TRUE(got.ok());
    EXPECT_EQ(callee.offered, (std::vector<std::uint32_t>{8, 23}));
    EXPECT_EQ(got.buffer.size(), 23u);
    EXPECT_EQ(got.buffer[21], u'\0');
    EXPECT_EQ(got.buffer[22], u'\0');
}

TEST(GrowBuffer, AnAskBeyondTheCapIsRefusedNotAllocated) {
    int calls = 0;
    const auto got = call_growing<unsigned char, std::uint32_t>(
        {1024, 1u << 20, 4}, [&](unsigned char*, std::uint32_t& size) {
            ++calls;
            size = 64u << 20;  // 64 MiB
            return kStatusMoreData;
        });
    EXPECT_TRUE(got.refused);
    EXPECT_EQ(got.status, kStatusMoreData);
    EXPECT_EQ(got.size, 64u << 20);
    EXPECT_EQ(got.buffer.size(), 1024u);  // nothing grown
    EXPECT_EQ(calls, 1);
}

TEST(GrowBuffer, AnAskThatDoesNotGrowIsRefused) {
    const auto got =
        call_growing<char16_t, std::uint32_t>({256, 4096, 0}, [](char16_t*, std::uint32_t& size) {
            size = 10;  // smaller than what it was just offered
            return kStatusMoreData;
        });
    EXPECT_TRUE(got.refused);
    EXPECT_EQ(got.buffer.size(), 256u);
}

TEST(GrowBuffer, AnAnswerThatStillDoesNotFitIsGivenUpAfterOneGrowth) {
    // A callee whose answer grows every time it is asked.
    std::uint32_t next = 300;
    int calls = 0;
    const auto got =
        call_growing<char16_t, std::uint32_t>({256, 4096, 0}, [&](char16_t*, std::uint32_t& size) {
            ++calls;
            size = next;
            next += 100;
            return kStatusMoreData;
        });
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(got.status, kStatusMoreData);
    EXPECT_FALSE(got.refused);
    EXPECT_EQ(got.size, 400u);
}

TEST(GrowBuffer, AnotherErrorIsReturnedAsItIs) {
    const auto got = call_growing<char16_t, std::uint32_t>(
        {16, 4096, 0}, [](char16_t*, std::uint32_t&) { return kNotFound; });
    EXPECT_EQ(got.status, kNotFound);
    EXPECT_FALSE(got.ok());
    EXPECT_FALSE(got.refused);
}

TEST(GrowBuffer, FilledNeverReachesPastTheBuffer) {
    // A callee that claims to have written more than it was offered.
    const auto got = call_growing<unsigned char, std::uint32_t>(
        {64, 1u << 20, 0}, [](unsigned char*, std::uint32_t& size) {
            size = 1u << 30;
            return kOk;
        });
    EXPECT_TRUE(got.ok());
    EXPECT_EQ(got.filled(), 64u);
}

TEST(GrowBuffer, GrowToAskKeepsTheBufferWhenRefused) {
    std::vector<char16_t> buffer(8, u'k');
    EXPECT_FALSE(grow_to_ask(buffer, 4096, {8, 4096, 0}));
    EXPECT_EQ(buffer, std::vector<char16_t>(8, u'k'));
    EXPECT_TRUE(grow_to_ask(buffer, 9, {8, 4096, 1}));
    EXPECT_EQ(buffer, std::vector<char16_t>(11, u'\0'));
}

}  // namespace test_grow_buffer
}  // namespace permwatch
