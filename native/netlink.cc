// netlink.cc — raw rtnetlink requests (rtnetlink(7), netlink(7)): links, addresses, routes. Each request is
// one message sent with NLM_F_ACK and answered by the kernel's NLMSG_ERROR (error 0 is the ack); a dump
// reads until NLMSG_DONE. Shelling out to `ip` costs ~10x (NETWORKING.md §6.1).
#include "netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

namespace podinit {

namespace {

// A request under construction: the header, the family header, then attributes (nested ones patched at end).
class Message {
 public:
  Message(uint16_t type, uint16_t flags, const void* family_header, size_t family_size) {
    buffer_.resize(NLMSG_SPACE(family_size));
    Header()->nlmsg_type = type;
    Header()->nlmsg_flags = flags | NLM_F_REQUEST;
    memcpy(NLMSG_DATA(Header()), family_header, family_size);
  }
  void Put(uint16_t type, const void* data, size_t size) {
    size_t at = buffer_.size();
    buffer_.resize(at + RTA_SPACE(size));
    rtattr* attr = reinterpret_cast<rtattr*>(&buffer_[at]);
    attr->rta_type = type;
    attr->rta_len = RTA_LENGTH(size);
    if (size > 0) memcpy(RTA_DATA(attr), data, size);
  }
  void PutU32(uint16_t type, uint32_t value) { Put(type, &value, sizeof value); }
  void PutString(uint16_t type, const std::string& s) { Put(type, s.c_str(), s.size() + 1); }
  // Raw bytes inside the current nest (the veth peer's ifinfomsg).
  void PutRaw(const void* data, size_t size) {
    size_t at = buffer_.size();
    buffer_.resize(at + NLMSG_ALIGN(size));
    memcpy(&buffer_[at], data, size);
  }
  size_t Begin(uint16_t type) {
    size_t at = buffer_.size();
    Put(type | NLA_F_NESTED, nullptr, 0);
    return at;
  }
  void End(size_t at) { reinterpret_cast<rtattr*>(&buffer_[at])->rta_len = buffer_.size() - at; }
  nlmsghdr* Header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
  nlmsghdr* Finish(uint32_t seq) {
    Header()->nlmsg_len = buffer_.size();
    Header()->nlmsg_seq = seq;
    return Header();
  }

 private:
  std::vector<uint8_t> buffer_;
};

// Sequence numbers match replies to requests; atomic, as worker threads each load the addon in one process.
std::atomic<uint32_t> next_seq{1};

void Send(int fd, Message& message, uint32_t seq, const char* operation) {
  nlmsghdr* header = message.Finish(seq);
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd, header, header->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw NetlinkError{errno, std::string("sendto ") + operation};
}

// Reads replies to `seq`, giving each data message to `each`, until the ack (or NLMSG_DONE of a dump).
template <typename Each>
void Receive(int fd, uint32_t seq, const char* operation, Each each) {
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    ssize_t n;
    do {
      n = recv(fd, buffer.data(), buffer.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw NetlinkError{errno, std::string("recv ") + operation};
    size_t left = static_cast<size_t>(n);
    for (nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq) continue;  // a late reply to an earlier request
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const nlmsgerr* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) throw NetlinkError{-e->error, operation};
        return;
      }
      each(h);
    }
  }
}

void Request(int fd, Message& message, const char* operation) {
  uint32_t seq = next_seq++;
  Send(fd, message, seq, operation);
  Receive(fd, seq, operation, [](nlmsghdr*) {});
}

ifinfomsg LinkHeader(int index = 0) {
  ifinfomsg ifi = {};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  return ifi;
}

void PutChange(Message& m, ifinfomsg* ifi, const NetlinkLinkChange& change) {
  if (change.up.set) {
    ifi->ifi_change |= IFF_UP;
    if (change.up.value) ifi->ifi_flags |= IFF_UP;
  }
  if (change.master.set) m.PutU32(IFLA_MASTER, change.master.value);
  if (change.mtu.set) m.PutU32(IFLA_MTU, change.mtu.value);
}

Message AddressMessage(int index, int family, const uint8_t* address, int prefix) {
  ifaddrmsg ifa = {};
  ifa.ifa_family = family;
  ifa.ifa_prefixlen = prefix;
  ifa.ifa_index = index;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  Message m(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  size_t size = family == AF_INET6 ? 16 : 4;
  m.Put(IFA_LOCAL, address, size);
  m.Put(IFA_ADDRESS, address, size);
  // IPv6: usable at once, without ~1 s of duplicate address detection (the address is ours by lease).
  if (family == AF_INET6) m.PutU32(IFA_FLAGS, IFA_F_NODAD);
  return m;
}

Message RouteMessage(int family, const uint8_t* gateway, int index) {
  rtmsg rt = {};
  rt.rtm_family = family;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  Message m(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
  m.Put(RTA_GATEWAY, gateway, family == AF_INET6 ? 16 : 4);
  if (index > 0) m.PutU32(RTA_OIF, index);
  return m;
}

}  // namespace

int NetlinkLinkIndex(int fd, const std::string& name) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_GETLINK, NLM_F_ACK, &ifi, sizeof ifi);
  m.PutString(IFLA_IFNAME, name);
  uint32_t seq = next_seq++;
  Send(fd, m, seq, "RTM_GETLINK");
  int index = 0;
  Receive(fd, seq, "RTM_GETLINK", [&](nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWLINK) index = static_cast<ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
  });
  if (index == 0) throw NetlinkError{ENODEV, "RTM_GETLINK"};
  return index;
}

void NetlinkCreateBridge(int fd, const std::string& name, const std::vector<uint8_t>& mac, uint32_t mtu) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  m.PutString(IFLA_IFNAME, name);
  if (!mac.empty()) m.Put(IFLA_ADDRESS, mac.data(), mac.size());
  if (mtu > 0) m.PutU32(IFLA_MTU, mtu);
  size_t info = m.Begin(IFLA_LINKINFO);
  m.PutString(IFLA_INFO_KIND, "bridge");
  size_t data = m.Begin(IFLA_INFO_DATA);
  m.PutU32(IFLA_BR_STP_STATE, 0);  // ports forward at once (no listening/learning delay)
  m.End(data);
  m.End(info);
  Request(fd, m, "RTM_NEWLINK (bridge)");
}

void NetlinkCreateVeth(int fd, const std::string& name, const std::string& peer, int peer_netns_fd,
                       const NetlinkLinkChange& host_side) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  m.PutString(IFLA_IFNAME, name);
  ifinfomsg* header = static_cast<ifinfomsg*>(NLMSG_DATA(m.Header()));
  PutChange(m, header, host_side);
  size_t info = m.Begin(IFLA_LINKINFO);
  m.PutString(IFLA_INFO_KIND, "veth");
  size_t data = m.Begin(IFLA_INFO_DATA);
  size_t peer_info = m.Begin(VETH_INFO_PEER);
  ifinfomsg peer_ifi = LinkHeader();
  m.PutRaw(&peer_ifi, sizeof peer_ifi);
  m.PutString(IFLA_IFNAME, peer);
  if (peer_netns_fd >= 0) m.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  if (host_side.mtu.set) m.PutU32(IFLA_MTU, host_side.mtu.value);
  m.End(peer_info);
  m.End(data);
  m.End(info);
  Request(fd, m, "RTM_NEWLINK (veth)");
}

void NetlinkChangeLink(int fd, const std::string& name, const NetlinkLinkChange& change) {
  ifinfomsg ifi = LinkHeader(NetlinkLinkIndex(fd, name));
  Message m(RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
  PutChange(m, static_cast<ifinfomsg*>(NLMSG_DATA(m.Header())), change);
  Request(fd, m, "RTM_NEWLINK (change)");
}

void NetlinkDeleteLink(int fd, const std::string& name) {
  ifinfomsg ifi = LinkHeader(NetlinkLinkIndex(fd, name));
  Message m(RTM_DELLINK, NLM_F_ACK, &ifi, sizeof ifi);
  Request(fd, m, "RTM_DELLINK");
}

void NetlinkAddAddress(int fd, int index, int family, const uint8_t* address, int prefix) {
  Message m = AddressMessage(index, family, address, prefix);
  Request(fd, m, "RTM_NEWADDR");
}

void NetlinkAddDefaultRoute(int fd, int family, const uint8_t* gateway, int index) {
  Message m = RouteMessage(family, gateway, index);
  Request(fd, m, "RTM_NEWROUTE");
}

void NetlinkConfigurePod(int fd, const std::string& name, const std::vector<NetlinkAddress>& addresses,
                         const std::vector<NetlinkAddress>& gateways) {
  const int index = NetlinkLinkIndex(fd, name);
  struct Step {
    Message message;
    const char* operation;
  };
  std::vector<Step> steps;
  for (int link : {1, index}) {  // lo is ifindex 1 in every network namespace
    ifinfomsg ifi = LinkHeader(link);
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = IFF_UP;
    steps.push_back({Message(RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi), "RTM_NEWLINK (up)"});
  }
  for (const NetlinkAddress& a : addresses)
    steps.push_back({AddressMessage(index, a.family, a.bytes, a.prefix), "RTM_NEWADDR"});
  for (const NetlinkAddress& g : gateways) steps.push_back({RouteMessage(g.family, g.bytes, index), "RTM_NEWROUTE"});
  // One datagram: the kernel handles the messages in order and acks each; one send, one or two recvs.
  std::vector<uint8_t> batch;
  const uint32_t first = next_seq.fetch_add(steps.size());
  for (size_t i = 0; i < steps.size(); i++) {
    nlmsghdr* h = steps[i].message.Finish(first + i);
    batch.insert(batch.end(), reinterpret_cast<uint8_t*>(h), reinterpret_cast<uint8_t*>(h) + NLMSG_ALIGN(h->nlmsg_len));
  }
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd, batch.data(), batch.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw NetlinkError{errno, "sendto (pod link)"};
  std::vector<uint8_t> buffer(64 * 1024);
  size_t acked = 0;
  NetlinkError failed{0, ""};
  while (acked < steps.size()) {
    do {
      n = recv(fd, buffer.data(), buffer.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw NetlinkError{errno, "recv (pod link)"};
    size_t left = static_cast<size_t>(n);
    for (nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq >= first + steps.size()) continue;
      acked++;
      const nlmsgerr* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (e->error != 0 && failed.err == 0) failed = {-e->error, steps[h->nlmsg_seq - first].operation};
    }
  }
  if (failed.err != 0) throw failed;
}

std::vector<NetlinkAddress> NetlinkListAddresses(int fd) {
  ifaddrmsg ifa = {};
  ifa.ifa_family = AF_UNSPEC;
  Message m(RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
  uint32_t seq = next_seq++;
  Send(fd, m, seq, "RTM_GETADDR (dump)");
  std::vector<NetlinkAddress> out;
  Receive(fd, seq, "RTM_GETADDR (dump)", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    ifaddrmsg* info = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
    NetlinkAddress a;
    a.index = static_cast<int>(info->ifa_index);
    a.family = info->ifa_family;
    a.prefix = info->ifa_prefixlen;
    const size_t size = a.family == AF_INET6 ? 16 : 4;
    int left = IFA_PAYLOAD(h);
    bool found = false;
    for (rtattr* r = IFA_RTA(info); RTA_OK(r, left); r = RTA_NEXT(r, left)) {
      // IFA_LOCAL is the interface's own address where it differs from IFA_ADDRESS (point-to-point).
      if ((r->rta_type == IFA_LOCAL || (r->rta_type == IFA_ADDRESS && !found)) && RTA_PAYLOAD(r) >= size) {
        memcpy(a.bytes, RTA_DATA(r), size);
        found = true;
      }
    }
    if (found) out.push_back(a);
  });
  return out;
}

std::vector<NetlinkLink> NetlinkListLinks(int fd) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof ifi);
  uint32_t seq = next_seq++;
  Send(fd, m, seq, "RTM_GETLINK (dump)");
  std::vector<NetlinkLink> links;
  Receive(fd, seq, "RTM_GETLINK (dump)", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK) return;
    ifinfomsg* info = static_cast<ifinfomsg*>(NLMSG_DATA(h));
    NetlinkLink link;
    link.index = info->ifi_index;
    link.flags = info->ifi_flags;
    int left = IFLA_PAYLOAD(h);
    for (rtattr* a = IFLA_RTA(info); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
      switch (a->rta_type) {
        case IFLA_IFNAME:
          link.name = static_cast<const char*>(RTA_DATA(a));
          break;
        case IFLA_MASTER:
          link.master = *static_cast<const uint32_t*>(RTA_DATA(a));
          break;
        case IFLA_MTU:
          link.mtu = *static_cast<const uint32_t*>(RTA_DATA(a));
          break;
        case IFLA_LINKINFO: {
          int inner = RTA_PAYLOAD(a);
          for (rtattr* b = static_cast<rtattr*>(RTA_DATA(a)); RTA_OK(b, inner); b = RTA_NEXT(b, inner))
            if (b->rta_type == IFLA_INFO_KIND) link.kind = static_cast<const char*>(RTA_DATA(b));
          break;
        }
      }
    }
    links.push_back(link);
  });
  return links;
}

}  // namespace podinit
