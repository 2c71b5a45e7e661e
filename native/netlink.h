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

// An interface address (or a gateway: prefix and index unused). `bytes` holds 4 or 16 of them.
struct NetlinkAddress {
  int index = 0;
  int family = 0;  // AF_INET or AF_INET6
  uint8_t bytes[16] = {};
  int prefix = 0;
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
// Every address of the namespace (IPv4 and IPv6), with its link's index.
std::vector<NetlinkAddress> NetlinkListAddresses(int fd);
// A pod's side in one batch (one datagram, every message acked): lo and `name` up, `addresses` on `name`,
// a default route via each of `gateways` out of `name`. Throws the first refusal.
void NetlinkConfigurePod(int fd, const std::string& name, const std::vector<NetlinkAddress>& addresses,
                         const std::vector<NetlinkAddress>& gateways);

}  // namespace podinit
