#include "mpi/sockets.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace trellis::mpi {
namespace {

int nodelay_of(int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) != 0) return -1;
  return v;
}

// Closes its descriptors at the end of the test.
struct Fds {
  std::vector<int> fds;
  int add(int fd) {
    fds.push_back(fd);
    return fd;
  }
  ~Fds() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

TEST(Sockets, NodelayIsSetOnTcpConnectionsAndOnlyThere) {
  Fds f;
  // A loopback TCP connection, as the PMIx client's: both ends start with Nagle's algorithm on.
  const int listener = f.add(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(listener, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t alen = sizeof a;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &alen), 0);
  const int client = f.add(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const int server = f.add(::accept(listener, nullptr, nullptr));
  ASSERT_GE(server, 0);
  ASSERT_EQ(nodelay_of(client), 0);
  ASSERT_EQ(nodelay_of(server), 0);
  // Sockets that are not TCP streams.
  const int udp = f.add(::socket(AF_INET, SOCK_DGRAM, 0));
  int pair[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  f.add(pair[0]);
  f.add(pair[1]);

  // The listener, the client and the accepted end (and any TCP socket MPI opened in this process).
  EXPECT_GE(set_nodelay_on_tcp_sockets(), 3);
  EXPECT_EQ(nodelay_of(client), 1);
  EXPECT_EQ(nodelay_of(server), 1);
  EXPECT_EQ(nodelay_of(listener), 1);
  EXPECT_EQ(nodelay_of(udp), -1);  // no such option on a datagram socket: left alone
  EXPECT_EQ(nodelay_of(pair[0]), -1);

  // What arrives is unchanged.
  const char msg[] = "fence";
  ASSERT_EQ(::send(client, msg, sizeof msg, 0), static_cast<ssize_t>(sizeof msg));
  char got[sizeof msg] = {};
  ASSERT_EQ(::recv(server, got, sizeof got, MSG_WAITALL), static_cast<ssize_t>(sizeof msg));
  EXPECT_STREQ(got, msg);
}

}  // namespace
}  // namespace trellis::mpi
