// The native engine of the open-loop generator (tools/loadtest/open-loop.ts, engine 'native'):
// the same job as open-loop-worker.ts (a prepared gRPC frame sent on a schedule fixed in
// advance, over N HTTP/2 connections used in turn, whatever the answers do), in C++ over
// libnghttp2 (the library h2load is built on), one thread, epoll, waking at each next due time
// (epoll_pwait2: nanosecond timeouts). It exists because the Node worker costs ~0.1 ms of
// CPU per request: at a few thousand requests per second it takes half a core from the server
// it measures on a two-core machine, and its own p99 against a bare echo server is 20 ms and
// more. This one costs a few microseconds per request.
//
// Usage: open-loop-native HOST PORT PATH FRAME_FILE SCHEDULE_FILE CONNECTIONS DEADLINE_MS OUT_FILE
//   FRAME_FILE     the length-prefixed gRPC message sent as each request's body
//   SCHEDULE_FILE  float64 little-endian: request i's send time in ms from the start
//   OUT_FILE       written at the end: n float64 of sent times, then n float64 of answer times
//                  (NaN for a failed request), ms from the start
// Prints one JSON line on stdout at the end: {"errors":{NAME:count},"cpuMs":..,"wallMs":..}.
// Errors are named as the Node worker names them: gRPC status names, HTTP_<status>, TRANSPORT,
// NO_GRPC_STATUS, DEADLINE_EXCEEDED (unanswered DEADLINE_MS after its send: cancelled),
// SESSION_ERROR (a connection lost: closed by the server, even after a graceful GOAWAY, reset,
// or ended by nghttp2 on a protocol error; its open requests count by what they received, and
// the requests scheduled on it later fail as TRANSPORT: there is no reconnect, as in the node
// engine).
// Exit code 0 once every request is answered or failed; 2 on bad arguments or a failed connect.
#include <nghttp2/nghttp2.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <algorithm>
#include <map>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

const char* const kStatusNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

double nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double cpuMs() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

[[noreturn]] void die(const std::string& message) {
  fprintf(stderr, "open-loop-native: %s\n", message.c_str());
  exit(2);
}

std::vector<uint8_t> readFile(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) die(std::string("cannot read ") + path + ": " + strerror(errno));
  std::vector<uint8_t> out;
  uint8_t buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  fclose(f);
  return out;
}

struct Request {
  int httpStatus = 0;
  int grpcStatus = -1;
  bool expired = false;
  bool open = false;
  size_t conn = 0;
  size_t bodyOffset = 0;
  int32_t streamId = 0;
};

struct Generator;

struct Connection {
  Generator* g = nullptr;
  size_t index = 0;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::vector<uint8_t> out;  // bytes nghttp2 produced that the socket has not taken yet
  bool alive = true;
  bool wantWrite = false;
};

struct Generator {
  std::string authority, path;
  std::vector<uint8_t> frame;
  std::vector<double> plan, sentMs, doneMs;
  std::vector<Request> reqs;
  std::vector<Connection> conns;
  std::map<std::string, long> errors;
  double deadlineMs = 10000;
  /** Every request has ended: connections closed from here on are the generator's own doing. */
  bool finished = false;
  double start = 0;
  size_t next = 0, inFlight = 0, oldest = 0;
  int epfd = -1;

  void fail(const std::string& name) { errors[name]++; }

  void finish(size_t i) {
    Request& r = reqs[i];
    if (!r.open) return;
    r.open = false;
    inFlight--;
    if (r.expired) fail("DEADLINE_EXCEEDED");
    else if (r.httpStatus != 200) fail(r.httpStatus ? "HTTP_" + std::to_string(r.httpStatus) : "TRANSPORT");
    else if (r.grpcStatus < 0) fail("NO_GRPC_STATUS");
    else if (r.grpcStatus != 0) fail(r.grpcStatus < 17 ? kStatusNames[r.grpcStatus] : "GRPC_" + std::to_string(r.grpcStatus));
    else doneMs[i] = nowMs() - start;
  }
};

ssize_t readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source* source, void* user) {
  auto* c = static_cast<Connection*>(user);
  Request& r = c->g->reqs[static_cast<size_t>(source->fd)];
  size_t left = c->g->frame.size() - r.bodyOffset;
  size_t n = left < length ? left : length;
  memcpy(buf, c->g->frame.data() + r.bodyOffset, n);
  r.bodyOffset += n;
  if (r.bodyOffset == c->g->frame.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int onHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* c = static_cast<Connection*>(user);
  void* data = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
  if (!data) return 0;
  Request& r = c->g->reqs[reinterpret_cast<uintptr_t>(data) - 1];
  std::string n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
  // A trailers-only answer (an error) carries grpc-status in the headers.
  if (n == ":status") r.httpStatus = atoi(v.c_str());
  else if (n == "grpc-status") r.grpcStatus = atoi(v.c_str());
  return 0;
}

int onStreamClose(nghttp2_session* s, int32_t stream, uint32_t, void* user) {
  auto* c = static_cast<Connection*>(user);
  void* data = nghttp2_session_get_stream_user_data(s, stream);
  if (data) c->g->finish(reinterpret_cast<uintptr_t>(data) - 1);
  return 0;
}

void armWrite(Connection& c, bool on) {
  if (c.wantWrite == on) return;
  c.wantWrite = on;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = c.index;
  epoll_ctl(c.g->epfd, EPOLL_CTL_MOD, c.fd, &ev);
}

void lose(Connection& c) {
  if (!c.alive) return;
  c.alive = false;
  if (!c.g->finished) c.g->fail("SESSION_ERROR");
  epoll_ctl(c.g->epfd, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  // Its open requests end here, as the Node worker's do when the session closes: by what they
  // received (TRANSPORT before any answer, NO_GRPC_STATUS without trailers; DEADLINE_EXCEEDED
  // when already cancelled for their deadline).
  for (size_t i = 0; i < c.g->reqs.size(); i++) {
    Request& r = c.g->reqs[i];
    if (r.open && r.conn == c.index) c.g->finish(i);
  }
}

// Hands what nghttp2 has to send to the socket, as far as it takes it: every frame nghttp2 has
// ready goes in one write (a request's HEADERS and DATA, the acks of what was read), since on
// loopback each write also pays for the receiver's side of TCP.
void flush(Connection& c) {
  if (!c.alive) return;
  for (;;) {
    for (;;) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(c.session, &data);
      if (n < 0) return lose(c);
      if (n == 0) break;
      c.out.insert(c.out.end(), data, data + n);
      if (c.out.size() >= 1 << 20) break;
    }
    if (c.out.empty()) {
      if (!nghttp2_session_want_read(c.session) && !nghttp2_session_want_write(c.session)) return lose(c);
      break;
    }
    ssize_t w = write(c.fd, c.out.data(), c.out.size());
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return lose(c);
    }
    c.out.erase(c.out.begin(), c.out.begin() + w);
    if (!c.out.empty()) break;
  }
  armWrite(c, !c.out.empty());
}

void onReadable(Connection& c) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n == 0) return lose(c);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return lose(c);
    }
    if (nghttp2_session_mem_recv(c.session, buf, static_cast<size_t>(n)) < 0) return lose(c);
    // nghttp2 ended the session itself (a protocol error from the peer, or its GOAWAY): it will
    // close no more streams, so the connection is lost even if the peer keeps it open.
    if (!nghttp2_session_want_read(c.session) && !nghttp2_session_want_write(c.session)) return lose(c);
    // A short read took all there was: epoll says when more comes (saves a read that fails).
    if (static_cast<size_t>(n) < sizeof buf) break;
  }
  flush(c);
}

int connectTo(const std::string& host, const std::string& port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) die("cannot resolve " + host + ":" + port);
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) die("cannot connect to " + host + ":" + port + ": " + strerror(errno));
  freeaddrinfo(res);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) die("usage: open-loop-native HOST PORT PATH FRAME_FILE SCHEDULE_FILE CONNECTIONS DEADLINE_MS OUT_FILE");
  // A write to a connection the server has reset fails with EPIPE (handled: the connection is
  // lost) instead of killing the process.
  signal(SIGPIPE, SIG_IGN);
  Generator g;
  std::string host = argv[1], port = argv[2];
  g.authority = host + ":" + port;
  g.path = argv[3];
  g.frame = readFile(argv[4]);
  std::vector<uint8_t> sched = readFile(argv[5]);
  if (sched.size() % 8 != 0) die("the schedule file is not a float64 array");
  g.plan.resize(sched.size() / 8);
  memcpy(g.plan.data(), sched.data(), sched.size());
  long nconn = strtol(argv[6], nullptr, 10);
  g.deadlineMs = strtod(argv[7], nullptr);
  if (nconn < 1 || nconn > 1024) die("CONNECTIONS must be 1 to 1024");
  if (!(g.deadlineMs > 0)) die("DEADLINE_MS must be positive");
  const char* outPath = argv[8];
  size_t n = g.plan.size();
  g.sentMs.assign(n, NAN);
  g.doneMs.assign(n, NAN);
  g.reqs.resize(n);

  g.epfd = epoll_create1(0);

  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onStreamClose);
  g.conns.resize(static_cast<size_t>(nconn));
  for (size_t k = 0; k < g.conns.size(); k++) {
    Connection& c = g.conns[k];
    c.g = &g;
    c.index = k;
    c.fd = connectTo(host, port);
    nghttp2_session_client_new(&c.session, cbs, &c);
    nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, nullptr, 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    epoll_ctl(g.epfd, EPOLL_CTL_ADD, c.fd, &ev);
    flush(c);
  }
  nghttp2_session_callbacks_del(cbs);

  const std::string method = "POST", scheme = "http", ctype = "application/grpc", te = "trailers";
  auto nv = [](const std::string& name, const std::string& value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())), reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
  };
  const std::string kMethod = ":method", kScheme = ":scheme", kAuthority = ":authority", kPath = ":path", kCtype = "content-type", kTe = "te";
  nghttp2_nv headers[] = {nv(kMethod, method), nv(kScheme, scheme), nv(kAuthority, g.authority), nv(kPath, g.path), nv(kCtype, ctype), nv(kTe, te)};

  // A little ahead, so the first requests are not late because of the set-up around them.
  g.start = nowMs() + 20;
  double cpu0 = cpuMs();
  epoll_event events[64];
  while (g.next < n || g.inFlight > 0) {
    double now = nowMs();
    // Every request that is due leaves now.
    std::vector<bool> touched(g.conns.size(), false);
    while (g.next < n && g.start + g.plan[g.next] <= now) {
      size_t i = g.next++;
      Request& r = g.reqs[i];
      r.conn = i % g.conns.size();
      Connection& c = g.conns[r.conn];
      g.sentMs[i] = now - g.start;
      r.open = true;
      g.inFlight++;
      if (!c.alive) {
        g.finish(i);
        continue;
      }
      nghttp2_data_provider body{};
      body.source.fd = static_cast<int>(i);
      body.read_callback = readBody;
      r.streamId = nghttp2_submit_request(c.session, nullptr, headers, sizeof headers / sizeof headers[0], &body, reinterpret_cast<void*>(i + 1));
      if (r.streamId < 0) g.finish(i);
      touched[r.conn] = true;
    }
    // Requests unanswered DEADLINE_MS after their send are cancelled (oldest first).
    while (g.oldest < g.next && (!g.reqs[g.oldest].open || g.reqs[g.oldest].expired)) g.oldest++;
    for (size_t i = g.oldest; i < g.next && now - g.start - g.sentMs[i] >= g.deadlineMs; i++) {
      Request& r = g.reqs[i];
      if (!r.open || r.expired) continue;
      r.expired = true;
      Connection& c = g.conns[r.conn];
      // A request nghttp2 still holds (no stream slot yet) is dropped, one sent is reset; both close.
      if (!c.alive || nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, r.streamId, NGHTTP2_CANCEL) != 0) g.finish(i);
      touched[r.conn] = true;
    }
    for (size_t k = 0; k < g.conns.size(); k++)
      if (touched[k]) flush(g.conns[k]);
    if (g.next >= n && g.inFlight == 0) break;
    // Wake at the next due time (epoll_pwait2's timeout has nanosecond resolution) or on the
    // sockets; at least every 100 ms, for the deadlines.
    double waitMs = 100;
    if (g.next < n) waitMs = std::min(waitMs, std::max(0.0, g.start + g.plan[g.next] - nowMs()));
    timespec timeout{static_cast<time_t>(waitMs / 1e3), static_cast<long>(fmod(waitMs, 1e3) * 1e6)};
    int ready = epoll_pwait2(g.epfd, events, 64, &timeout, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die(std::string("epoll_pwait2 failed: ") + strerror(errno));
    }
    for (int e = 0; e < ready; e++) {
      Connection& c = g.conns[events[e].data.u64];
      if (!c.alive) continue;
      if (events[e].events & (EPOLLERR | EPOLLHUP)) {
        lose(c);
        continue;
      }
      if (events[e].events & EPOLLIN) onReadable(c);
      if (c.alive && (events[e].events & EPOLLOUT)) flush(c);
    }
  }
  double cpu = cpuMs() - cpu0;
  double wall = nowMs() - g.start;
  g.finished = true;
  for (Connection& c : g.conns) {
    if (!c.alive) continue;
    nghttp2_session_terminate_session(c.session, NGHTTP2_NO_ERROR);
    flush(c);  // may find the connection lost, and close it
    if (c.alive) close(c.fd);
  }
  FILE* out = fopen(outPath, "wb");
  if (!out) die(std::string("cannot write ") + outPath);
  fwrite(g.sentMs.data(), 8, n, out);
  fwrite(g.doneMs.data(), 8, n, out);
  fclose(out);
  printf("{\"errors\":{");
  bool first = true;
  for (const auto& [name, count] : g.errors) {
    printf("%s\"%s\":%ld", first ? "" : ",", name.c_str(), count);
    first = false;
  }
  printf("},\"cpuMs\":%.3f,\"wallMs\":%.3f}\n", cpu, wall);
  return 0;
}
