// The summary a node publishes in the cluster database, and reading it back
// as hostile input (another node, or anyone who can write the cluster
// database, wrote it).
#include <gtest/gtest.h>

#include <iostream>

#include "core/cluster/node_summary.hpp"
#include "core/journal/journal.hpp"
#include "tests/core/cluster/node_summary_builders.hpp"

namespace permwatch {
namespace test_node_summary {

NodeSummary sample() {
    NodeSummary s = test::summary_of("NODE1", "1.2.3", "2026-11-30T11:00:00.250Z");
    s.time = "2026-11-30T10:00:00.000Z";
    PublishedKey k =
        test::checkpointed_key("HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES",
                               KeyState::repaired, "Exchange Event Service", "EXCH");
    k.last_repair = "2026-11-30T09:59:59.999Z";
    s.keys.push_back(k);
    PublishedKey plain;
    plain.path = "HKLM\\SOFTWARE\\Other";
    plain.state = KeyState::drift;
    s.keys.push_back(plain);
    s.checkpoints_unknown.push_back(
        {"Exchange Database", "EXCH", "The RPC server is unavailable. (1722)"});
    s.checkpoints_unknown.push_back({"Orphan", "", ""});  // its group not learned either
    return s;
}

TEST(NodeSummary, RoundTrips) {
    const NodeSummary s = sample();
    const std::string text = serialize_summary(s);
    EXPECT_EQ(text.find('\n'), std::string::npos) << "one line";
    const SummaryRead back = parse_summary(text, "node1");  // node names: case-insensitive
    ASSERT_TRUE(back.summary) << back.problem;
    EXPECT_EQ(*back.summary, s);
}

// The issue's closing note wants the size of one node's summary with the
// default config (config/permwatch.json: one key, checkpointed by a
// resource). Names as long as real ones; printed for the record.
TEST(NodeSummary, SizeWithTheDefaultConfig) {
    NodeSummary s = test::summary_of("EXCHNODE01", PERMWATCH_VERSION,
                                     format_utc(std::chrono::system_clock::now()));
    PublishedKey k = test::checkpointed_key(
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES", KeyState::compliant,
        "Exchange Event Service", "Exchange Virtual Server");
    k.last_repair = s.time;
    s.keys.push_back(k);
    const std::string text = serialize_summary(s);
    std::cout << "summary with the default config: " << text.size() << " bytes\n" << text << "\n";
    EXPECT_LT(text.size(), 512u);
}

TEST(NodeSummary, ParsesUtcTimes) {
    const auto t = parse_utc("2026-11-30T11:00:00.123Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_utc(*t), "2026-11-30T11:00:00.123Z");
    EXPECT_TRUE(parse_utc("1970-01-01T00:00:00Z"));
    for (const char* bad :
         {"", "2026-11-30", "2026-11-30T11:00:00.123", "2026-13-01T00:00:00Z",
          "2026-11-30T24:00:00Z", "2026-11-30T11:00:00.1Z", "2026-11-30 11:00:00Z",
          "+026-11-30T11:00:00Z", "1969-12-31T23:59:59Z"}) {
        EXPECT_FALSE(parse_utc(bad)) << bad;
    }
}

struct Bad {
    const char* what;
    std::string text;
    const char* problem;  // part of the message
};

std::string with(const std::string& from, const std::string& to) {
    std::string text = serialize_summary(sample());
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

TEST(NodeSummary, HostileSummariesAreUnreadableNeverTrusted) {
    const std::vector<Bad> cases = {
        {"not JSON", "{\"format\":1,", "line"},
        {"not an object", "[1,2]", "expected an object"},
        {"too deep", std::string(100, '[') + std::string(100, ']'), "deep"},
        {"too big", std::string(kMaxSummaryBytes + 1, ' '), "more than"},
        {"another format", with("\"format\":1", "\"format\":2"), "/format"},
        {"another node's name", with("\"node\":\"NODE1\"", "\"node\":\"NODE2\""), "filed under"},
        {"member twice", with("\"mode\":\"enforce\"", "\"mode\":\"enforce\",\"mode\":\"audit\""),
         "second time"},
        {"bad mode", with("\"mode\":\"enforce\"", "\"mode\":\"lenient\""), "/mode"},
        {"bad heartbeat", with("2026-11-30T11:00:00.250Z", "yesterday"), "/heartbeat"},
        {"no heartbeat", with("\"heartbeat\":\"2026-11-30T11:00:00.250Z\",", ""), "missing"},
        {"sweep zero", with("\"sweep_interval_s\":60", "\"sweep_interval_s\":0"), "sweep"},
        {"sweep forever", with("\"sweep_interval_s\":60", "\"sweep_interval_s\":1e12"), "sweep"},
        {"sweep text", with("\"sweep_interval_s\":60", "\"sweep_interval_s\":\"60\""), "sweep"},
        {"stopped text", with("\"stopped\":false", "\"stopped\":\"no\""), "/stopped"},
        {"keys not an array", with("\"keys\":[", "\"keys\":{\"a\":[") + "}", "/keys"},
        {"unknown state", with("\"state\":\"repaired\"", "\"state\":\"fine\""), "/keys/0/state"},
        {"control character", with("MSExchangeES", "MSExchange\\u001b[2JES"), "control"},
        {"empty path", with("\"path\":\"HKLM\\\\SOFTWARE\\\\Other\"", "\"path\":\"\""),
         "/keys/1/path"},
        {"long string",
         with("\"version\":\"1.2.3\"",
              "\"version\":\"" + std::string(kMaxSummaryTextChars + 1, 'v') + "\""),
         "/version"},
        {"checkpoint not an object", with("\"checkpoint\":null", "\"checkpoint\":true"),
         "/keys/1/checkpoint"},
        {"bad last repair", with("\"last_repair\":null", "\"last_repair\":5"),
         "/keys/1/last_repair"},
        {"checkpoints_unknown not an array",
         with("\"checkpoints_unknown\":[", "\"checkpoints_unknown\":{\"a\":[") + "}",
         "/checkpoints_unknown"},
        {"checkpoints_unknown null",
         with("\"checkpoints_unknown\":[", "\"checkpoints_unknown\":null,\"x\":["),
         "/checkpoints_unknown"},
        {"unknown entry not an object",
         with("\"checkpoints_unknown\":[", "\"checkpoints_unknown\":[\"Exchange Database\","),
         "/checkpoints_unknown/0"},
        {"unknown resource missing", with("{\"resource\":\"Orphan\",", "{"),
         "/checkpoints_unknown/1/resource"},
        {"unknown resource empty", with("\"resource\":\"Orphan\"", "\"resource\":\"\""),
         "/checkpoints_unknown/1/resource"},
        {"unknown group a number", with("\"group\":\"\"", "\"group\":7"),
         "/checkpoints_unknown/1/group"},
        {"unknown why missing", with(",\"why\":\"\"}", "}"), "/checkpoints_unknown/1/why"},
        {"unknown why with a control character",
         with("unavailable. (1722)", "unavailable.\\r\\n\\u001b[2J"), "/checkpoints_unknown/0/why"},
        {"unknown resource too long",
         with("\"resource\":\"Orphan\"",
              "\"resource\":\"" + std::string(kMaxSummaryTextChars + 1, 'r') + "\""),
         "/checkpoints_unknown/1/resource"},
    };
    for (const Bad& b : cases) {
        const SummaryRead r = parse_summary(b.text, "NODE1");
        EXPECT_FALSE(r.summary) << b.what;
        EXPECT_NE(r.problem.find(b.problem), std::string::npos) << b.what << ": " << r.problem;
        EXPECT_EQ(r.problem.find('\n'), std::string::npos) << b.what;
    }
}

TEST(NodeSummary, TooManyKeysIsUnreadable) {
    NodeSummary s = sample();
    PublishedKey tiny;  // small enough that the key count, not the size, is what is over
    tiny.path = "K";
    s.keys.assign(kMaxSummaryKeys + 1, tiny);
    ASSERT_LT(serialize_summary(s).size(), kMaxSummaryBytes);
    const SummaryRead r = parse_summary(serialize_summary(s), "NODE1");
    EXPECT_FALSE(r.summary);
    EXPECT_NE(r.problem.find("keys"), std::string::npos) << r.problem;
}

TEST(NodeSummary, TooManyUnknownCheckpointsIsUnreadable) {
    NodeSummary s = sample();
    s.checkpoints_unknown.assign(kMaxSummaryUnreadCheckpoints + 1, {"R", "G", ""});
    ASSERT_LT(serialize_summary(s).size(), kMaxSummaryBytes);
    const SummaryRead r = parse_summary(serialize_summary(s), "NODE1");
    EXPECT_FALSE(r.summary);
    EXPECT_NE(r.problem.find("/checkpoints_unknown"), std::string::npos) << r.problem;
    s.checkpoints_unknown.resize(kMaxSummaryUnreadCheckpoints);
    EXPECT_TRUE(parse_summary(serialize_summary(s), "NODE1").summary);
}

// A PermWatch that did not publish the member: nothing is known to be unknown.
TEST(NodeSummary, ASummaryWithoutCheckpointsUnknownReadsAsNone) {
    NodeSummary s = sample();
    s.checkpoints_unknown.clear();
    std::string text = serialize_summary(s);
    const std::string member = ",\"checkpoints_unknown\":[]";
    const auto at = text.find(member);
    ASSERT_NE(at, std::string::npos) << text;
    text.erase(at, member.size());
    const SummaryRead r = parse_summary(text, "NODE1");
    ASSERT_TRUE(r.summary) << r.problem;
    EXPECT_EQ(*r.summary, s);
}

// The reason is an error text from Windows (FormatMessage ends its text with
// a line break): the writer must not make its own summary unreadable.
TEST(NodeSummary, AnUnknownCheckpointsReasonIsWrittenSoThatItReadsBack) {
    NodeSummary s = sample();
    s.checkpoints_unknown[0].why = "Access is denied.\r\n" + std::string(kMaxSummaryTextChars, 'x');
    s.checkpoints_unknown[1].resource = "Caf\xc3\xa9";
    s.checkpoints_unknown[1].why = std::string(kMaxSummaryTextChars - 1, 'y') + "\xc3\xa9";
    const SummaryRead r = parse_summary(serialize_summary(s), "NODE1");
    ASSERT_TRUE(r.summary) << r.problem;
    ASSERT_EQ(r.summary->checkpoints_unknown.size(), 2u);
    const std::string& why = r.summary->checkpoints_unknown[0].why;
    EXPECT_EQ(why.rfind("Access is denied.??x", 0), 0u) << why.substr(0, 40);
    EXPECT_EQ(why.size(), kMaxSummaryTextChars);
    EXPECT_EQ(r.summary->checkpoints_unknown[1].resource, "Caf\xc3\xa9");
    // Cut before the two bytes of the last character, never between them.
    EXPECT_EQ(r.summary->checkpoints_unknown[1].why, std::string(kMaxSummaryTextChars - 1, 'y'));
}

TEST(NodeSummary, UnknownMembersFromANewerWriterAreIgnored) {
    const std::string text = with("\"stopped\":false", "\"stopped\":false,\"extra\":{\"a\":1}");
    const SummaryRead r = parse_summary(text, "NODE1");
    ASSERT_TRUE(r.summary) << r.problem;
    EXPECT_EQ(*r.summary, sample());
}

}  // namespace test_node_summary
}  // namespace permwatch
