// netlink.h — a minimal rtnetlink client (NETLINK_ROUTE): the requests pod networking needs, each one
// message acknowledged by the kernel. No allocation of kernel state outlives a call except what it asks for.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace podinit {

// A failed request: the kernel's errno and the operation, e.g. "RTM_NEWLINK (veth)".
struct NetlinkError {
  int err;
  std::string operation;
};

struct NetlinkLink {
  int index = 0;
  std::string name;
  int master = 0;  // ifindex of the bridge it is attached to, 0 for none
  unsigned flags = 0;
  unsigned mtu = 0;
  std::string kind;  // IFLA_INFO_KIND: "bridge", "veth", ... (empty for lo and physical links)
};

// An optional 32-bit setting: absent, or a value.
struct NetlinkOptional {
  bool set = false;
  uint32_t value = 0;
};

struct NetlinkLinkChange {
  NetlinkOptional up;      // 1: IFF_UP, 0: down
  NetlinkOptional master;  // ifindex; 0 detaches
  NetlinkOptional mtu;
};

// Each returns 0 or throws NetlinkError. `fd` is a NETLINK_ROUTE socket: it acts in the network namespace
// it was made in, whichever thread uses it.
int NetlinkLinkIndex(int fd, const std::string& name);
void NetlinkCreateBridge(int fd, const std::string& name, const std::vector<uint8_t>& mac, uint32_t mtu);
void NetlinkCreateVeth(int fd, const std::string& name, const std::string& peer, int peer_netns_fd,
                       const NetlinkLinkChange& host_side);
void NetlinkChangeLink(int fd, const std::string& name, const NetlinkLinkChange& change);
void NetlinkDeleteLink(int fd, const std::string& name);
void NetlinkAddAddress(int fd, int index, int family, const uint8_t* address, int prefix);
void NetlinkAddDefaultRoute(int fd, int family, const uint8_t* gateway, int index);
std::vector<NetlinkLink> NetlinkListLinks(int fd);

}  // namespace podinit
