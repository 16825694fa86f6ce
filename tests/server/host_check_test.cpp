// The Host allow-list against DNS rebinding (RFC 7230 5.4 Host syntax: name or [IPv6] plus :port).
#include "server/host_check.h"

#include <gtest/gtest.h>

namespace r1::server {
namespace {

TEST(HostCheck, StripsPortBracketsCaseAndTrailingDot) {
  EXPECT_EQ(host_name_of("localhost:7860"), "localhost");
  EXPECT_EQ(host_name_of("LocalHost.:80"), "localhost");
  EXPECT_EQ(host_name_of("[::1]:7860"), "::1");
  EXPECT_EQ(host_name_of("[::1]"), "::1");
  EXPECT_EQ(host_name_of("::1"), "::1");  // bare IPv6: every colon belongs to the address
  EXPECT_EQ(host_name_of(" 127.0.0.1:1 "), "127.0.0.1");
  EXPECT_EQ(host_name_of("example.com"), "example.com");
}

TEST(HostCheck, AllowsLoopbackNamesAndIpLiterals) {
  const HostPolicy policy{"127.0.0.1", {}};
  EXPECT_TRUE(host_allowed("localhost:7860", policy));
  EXPECT_TRUE(host_allowed("LOCALHOST", policy));
  EXPECT_TRUE(host_allowed("chat.localhost:7860", policy));
  EXPECT_TRUE(host_allowed("127.0.0.1:7860", policy));
  EXPECT_TRUE(host_allowed("[::1]:7860", policy));
  EXPECT_TRUE(host_allowed("192.168.1.20:7860", policy));
  EXPECT_TRUE(host_allowed("[fe80::1]:7860", policy));
  EXPECT_TRUE(host_allowed("", policy));  // HTTP/1.0 without Host: no browser sends that
}

TEST(HostCheck, RefusesOtherNames) {
  const HostPolicy policy{"0.0.0.0", {}};
  EXPECT_FALSE(host_allowed("evil.example:7860", policy));
  EXPECT_FALSE(host_allowed("localhost.evil.example", policy));
  EXPECT_FALSE(host_allowed("127.0.0.1.nip.io:7860", policy));
  EXPECT_FALSE(host_allowed("notlocalhost", policy));
  EXPECT_FALSE(host_allowed(":7860", policy));
  EXPECT_FALSE(host_allowed("[::1", policy));
}

TEST(HostCheck, AllowsTheBoundNameAndAllowedHosts) {
  const HostPolicy policy{"myhost.lan", {"Chat.Example.com", "box"}};
  EXPECT_TRUE(host_allowed("myhost.lan:7860", policy));
  EXPECT_TRUE(host_allowed("chat.example.com", policy));
  EXPECT_TRUE(host_allowed("CHAT.EXAMPLE.COM.:443", policy));
  EXPECT_TRUE(host_allowed("box:7860", policy));
  EXPECT_FALSE(host_allowed("example.com", policy));
  EXPECT_FALSE(host_allowed("boxx", policy));
}

TEST(HostCheck, RefusalNamesTheOption) {
  const std::string message = host_refused_message("evil.example:7860");
  EXPECT_NE(message.find("evil.example:7860"), std::string::npos);
  EXPECT_NE(message.find("--allowed-host evil.example"), std::string::npos);
  EXPECT_NE(message.find("DNS rebinding"), std::string::npos);
}

}  // namespace
}  // namespace r1::server
