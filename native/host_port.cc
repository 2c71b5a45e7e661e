// host_port.cc — holding a host port for a published pod port (the kubelet's "hostport holder"): a socket
// bound to the port and kept open for the pod's life, so a host process cannot take it while DNAT sends its
// traffic to the pod, and a port already in use is EADDRINUSE before anything starts. TCP sockets are bound
// but never listen(): a connection that bypasses the DNAT is refused, not queued. No SO_REUSEADDR/PORT.
// See: socket(2), bind(2), ip(7).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "addon.h"
#include "errors.h"

namespace podinit {

namespace {

// bindHostPort(protocol: "tcp" | "udp", address: string, port: number): a close-on-exec socket bound to
// address:port (IPv4 or IPv6 by the address's form; an IPv6 socket is IPV6_V6ONLY).
Napi::Value BindHostPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string protocol = info[0].As<Napi::String>().Utf8Value();
  const std::string address = info[1].As<Napi::String>().Utf8Value();
  const int port = info[2].As<Napi::Number>().Int32Value();
  const int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  const std::string where = address + ":" + std::to_string(port) + "/" + protocol;
  struct sockaddr_storage storage = {};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<struct sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<struct sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v6);
  } else {
    ThrowErrno(env, EINVAL, "inet_pton", where);
  }
  const int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, errno, "socket", where);
  if (family == AF_INET6) {
    const int on = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) {
      const int err = errno;
      close(fd);
      ThrowErrno(env, err, "setsockopt", where);
    }
  }
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&storage), length) < 0) {
    const int err = errno;
    close(fd);
    ThrowErrno(env, err, "bind", where);
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitHostPort(Napi::Env env, Napi::Object exports) {
  exports.Set("bindHostPort", Napi::Function::New(env, BindHostPort, "bindHostPort"));
}

}  // namespace podinit
