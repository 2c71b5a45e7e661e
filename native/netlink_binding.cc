// netlink_binding.cc — the JavaScript face of netlink.cc. Every call is short and synchronous (the kernel
// answers at once). Sockets for another network namespace are made by Node's thread after setns() there and back
// (the rest of Node stays put); the socket keeps acting in that namespace afterwards.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "addon.h"
#include "errors.h"
#include "netlink.h"

namespace podinit {

namespace {

std::string Str(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::String>().Utf8Value();
}
int Int(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

[[noreturn]] void Throw(Napi::Env env, const NetlinkError& e, const std::string& target) {
  ThrowErrno(env, e.err, ("netlink " + e.operation).c_str(), target);
}

int OpenSocket() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// netlinkOpen(netnsFd = -1): a NETLINK_ROUTE socket of this namespace, or of the one `netnsFd` (a
// /proc/PID/ns/net file or a pidfd) names.
Napi::Value Open(const Napi::CallbackInfo& info) {
  const int netns = info.Length() > 0 && info[0].IsNumber() ? Int(info, 0) : -1;
  int fd = -1, err = 0;
  const char* failed = nullptr;
  if (netns < 0) {
    fd = OpenSocket();
    if (fd < 0) err = errno, failed = "socket(NETLINK_ROUTE)";
  } else {
    // On this thread, there and back (netavark's pattern): a short-lived thread of its own cost ~0.3 ms, most
    // of it waiting to be scheduled on a busy host. No JavaScript runs meanwhile; setns(CLONE_NEWNET) only
    // moves the calling thread, and a thread that cannot go back aborts rather than resolve names elsewhere.
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
      err = errno, failed = "open /proc/thread-self/ns/net";
    } else if (setns(netns, CLONE_NEWNET) < 0) {
      err = errno, failed = "setns";
      close(self);
    } else {
      fd = OpenSocket();
      if (fd < 0) err = errno, failed = "socket(NETLINK_ROUTE)";
      if (setns(self, CLONE_NEWNET) < 0) abort();
      close(self);
    }
  }
  if (failed != nullptr) ThrowErrno(info.Env(), err, failed);
  return Napi::Number::New(info.Env(), fd);
}

NetlinkOptional Optional(Napi::Object options, const char* key) {
  NetlinkOptional out;
  Napi::Value v = options.Get(key);
  if (v.IsBoolean()) out.set = true, out.value = v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (v.IsNumber()) out.set = true, out.value = v.As<Napi::Number>().Uint32Value();
  return out;
}

// {up?: boolean, master?: ifindex (0 detaches), mtu?: number}
NetlinkLinkChange Change(const Napi::CallbackInfo& info, size_t i) {
  NetlinkLinkChange change;
  if (info.Length() <= i || !info[i].IsObject()) return change;
  Napi::Object options = info[i].As<Napi::Object>();
  change.up = Optional(options, "up");
  change.master = Optional(options, "master");
  change.mtu = Optional(options, "mtu");
  return change;
}

// An address in text form, as inet_pton bytes and its family.
int Address(const Napi::CallbackInfo& info, size_t i, uint8_t* bytes) {
  std::string text = Str(info, i);
  int family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, text.c_str(), bytes) != 1) ThrowErrno(info.Env(), EINVAL, "inet_pton", text);
  return family;
}

Napi::Value LinkIndex(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 1);
  try {
    return Napi::Number::New(info.Env(), NetlinkLinkIndex(Int(info, 0), name));
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, name);
  }
}

// netlinkCreateBridge(fd, name, mac: Buffer | undefined, mtu)
Napi::Value CreateBridge(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 1);
  std::vector<uint8_t> mac;
  if (info[2].IsBuffer()) {
    Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
    mac.assign(b.Data(), b.Data() + b.Length());
  }
  try {
    NetlinkCreateBridge(Int(info, 0), name, mac, info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0);
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, name);
  }
  return info.Env().Undefined();
}

// netlinkCreateVeth(fd, name, peer, peerNetnsFd, change)
Napi::Value CreateVeth(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 1), peer = Str(info, 2);
  try {
    NetlinkCreateVeth(Int(info, 0), name, peer, Int(info, 3), Change(info, 4));
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, name);
  }
  return info.Env().Undefined();
}

// netlinkChangeLink(fd, name, change)
Napi::Value ChangeLink(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 1);
  try {
    NetlinkChangeLink(Int(info, 0), name, Change(info, 2));
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, name);
  }
  return info.Env().Undefined();
}

Napi::Value DeleteLink(const Napi::CallbackInfo& info) {
  std::string name = Str(info, 1);
  try {
    NetlinkDeleteLink(Int(info, 0), name);
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, name);
  }
  return info.Env().Undefined();
}

// netlinkAddAddress(fd, ifindex, address, prefix)
Napi::Value AddAddress(const Napi::CallbackInfo& info) {
  uint8_t bytes[16];
  int family = Address(info, 2, bytes);
  try {
    NetlinkAddAddress(Int(info, 0), Int(info, 1), family, bytes, Int(info, 3));
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, Str(info, 2) + "/" + std::to_string(Int(info, 3)));
  }
  return info.Env().Undefined();
}

// netlinkAddDefaultRoute(fd, gateway, ifindex)
Napi::Value AddDefaultRoute(const Napi::CallbackInfo& info) {
  uint8_t bytes[16];
  int family = Address(info, 1, bytes);
  try {
    NetlinkAddDefaultRoute(Int(info, 0), family, bytes, Int(info, 2));
  } catch (const NetlinkError& e) {
    Throw(info.Env(), e, "default via " + Str(info, 1));
  }
  return info.Env().Undefined();
}

Napi::Value ListLinks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<NetlinkLink> links;
  try {
    links = NetlinkListLinks(Int(info, 0));
  } catch (const NetlinkError& e) {
    Throw(env, e, "");
  }
  Napi::Array out = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    Napi::Object link = Napi::Object::New(env);
    link.Set("index", links[i].index);
    link.Set("name", links[i].name);
    link.Set("master", links[i].master);
    link.Set("up", (links[i].flags & IFF_UP) != 0);
    link.Set("mtu", links[i].mtu);
    link.Set("kind", links[i].kind);
    out.Set(static_cast<uint32_t>(i), link);
  }
  return out;
}

// netlinkListAddresses(fd): [{ index, address, prefix }]
Napi::Value ListAddresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<NetlinkAddress> addresses;
  try {
    addresses = NetlinkListAddresses(Int(info, 0));
  } catch (const NetlinkError& e) {
    Throw(env, e, "");
  }
  Napi::Array out = Napi::Array::New(env, addresses.size());
  for (size_t i = 0; i < addresses.size(); i++) {
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(addresses[i].family, addresses[i].bytes, text, sizeof text);
    Napi::Object a = Napi::Object::New(env);
    a.Set("index", addresses[i].index);
    a.Set("address", text);
    a.Set("prefix", addresses[i].prefix);
    out.Set(static_cast<uint32_t>(i), a);
  }
  return out;
}

// netlinkConfigurePod(fd, name, addresses: [address, prefix][], gateways: string[])
Napi::Value ConfigurePod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = Str(info, 1);
  std::vector<NetlinkAddress> addresses, gateways;
  Napi::Array list = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Array pair = list.Get(i).As<Napi::Array>();
    NetlinkAddress a;
    std::string text = pair.Get(0u).As<Napi::String>().Utf8Value();
    a.family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (inet_pton(a.family, text.c_str(), a.bytes) != 1) ThrowErrno(env, EINVAL, "inet_pton", text);
    a.prefix = pair.Get(1u).As<Napi::Number>().Int32Value();
    addresses.push_back(a);
  }
  Napi::Array gws = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < gws.Length(); i++) {
    NetlinkAddress g;
    std::string text = gws.Get(i).As<Napi::String>().Utf8Value();
    g.family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (inet_pton(g.family, text.c_str(), g.bytes) != 1) ThrowErrno(env, EINVAL, "inet_pton", text);
    gateways.push_back(g);
  }
  try {
    NetlinkConfigurePod(Int(info, 0), name, addresses, gateways);
  } catch (const NetlinkError& e) {
    Throw(env, e, name);
  }
  return env.Undefined();
}

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkOpen", Napi::Function::New(env, Open, "netlinkOpen"));
  exports.Set("netlinkLinkIndex", Napi::Function::New(env, LinkIndex, "netlinkLinkIndex"));
  exports.Set("netlinkCreateBridge", Napi::Function::New(env, CreateBridge, "netlinkCreateBridge"));
  exports.Set("netlinkCreateVeth", Napi::Function::New(env, CreateVeth, "netlinkCreateVeth"));
  exports.Set("netlinkChangeLink", Napi::Function::New(env, ChangeLink, "netlinkChangeLink"));
  exports.Set("netlinkDeleteLink", Napi::Function::New(env, DeleteLink, "netlinkDeleteLink"));
  exports.Set("netlinkAddAddress", Napi::Function::New(env, AddAddress, "netlinkAddAddress"));
  exports.Set("netlinkAddDefaultRoute", Napi::Function::New(env, AddDefaultRoute, "netlinkAddDefaultRoute"));
  exports.Set("netlinkListLinks", Napi::Function::New(env, ListLinks, "netlinkListLinks"));
  exports.Set("netlinkListAddresses", Napi::Function::New(env, ListAddresses, "netlinkListAddresses"));
  exports.Set("netlinkConfigurePod", Napi::Function::New(env, ConfigurePod, "netlinkConfigurePod"));
}

}  // namespace podinit
