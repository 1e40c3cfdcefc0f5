#include "event_export.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "syslog_local.h"
#include "util.h"
#include "webhooks.h"

namespace paw::verifier {
namespace {

constexpr std::int64_t kBatch = 200;

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// FileSink appends JSON lines; a path renamed or removed under it (logrotate)
// is noticed before the next write and a new file is created.
class FileSink final : public EventSink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  ~FileSink() override { close_file(); }
  [[nodiscard]] std::string name() const override { return "file"; }

  Status open_file() {
    close_file();
    // O_NOFOLLOW: a symlink planted at the path does not redirect the events.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return make_error(Errc::io_error, errno_text("cannot open events-file " + path_));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      close_file();
      return make_error(Errc::io_error, "events-file is not a regular file: " + path_);
    }
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    return ok_status();
  }

  Status write(const EventRecord& e) override {
    if (fd_ < 0 || moved()) PAW_CHECK(open_file());
    const std::string line = event_json_line(e) + "\n";
    // One write(2) per line with O_APPEND: lines of concurrent writers never interleave.
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = errno_text("cannot write events-file " + path_);
        close_file();
        return make_error(Errc::io_error, why);
      }
      done += static_cast<std::size_t>(n);
    }
    return ok_status();
  }

 private:
  bool moved() const {
    struct stat st {};
    return ::stat(path_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_;
  }
  void close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::string path_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// SyslogSink sends one message per datagram (RFC 5424, or the local form of
// syslog_local.h) on a connected socket,
// (re)connected when a send fails.
class SyslogSink final : public EventSink {
 public:
  SyslogSink(std::string dest, SyslogFacility facility, std::size_t max, bool local)
      : dest_(std::move(dest)), facility_(facility), max_(max), local_(local) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) hostname_ = host;
    procid_ = std::to_string(::getpid());
  }
  ~SyslogSink() override { close_socket(); }
  [[nodiscard]] std::string name() const override { return "syslog"; }

  Status write(const EventRecord& e) override {
    if (fd_ < 0) PAW_CHECK(connect_socket());
    const bool alert = is_alert_type(e.type);
    const std::string msg =
        local_ ? format_syslog_local(e, alert, facility_, procid_, local_utc_offset(e.time), max_)
               : format_rfc5424(event_syslog_message(e, alert, facility_, hostname_, procid_), max_);
    // MSG_DONTWAIT: a local daemon whose socket queue is full must not
    // wedge the worker (and stop()); it counts as a failure and is retried.
    if (::send(fd_, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
        static_cast<ssize_t>(msg.size())) {
      const std::string why = errno_text("cannot send to events-syslog " + dest_);
      close_socket();
      return make_error(Errc::io_error, why);
    }
    return ok_status();
  }

 private:
  Status connect_socket() {
    if (dest_.rfind("unix:", 0) == 0) {
      const std::string path = dest_.substr(5);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::memcpy(a.sun_path, path.data(), path.size());  // length checked by check_syslog_destination
      fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd_ < 0) return make_error(Errc::io_error, errno_text("socket"));
      if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const std::string why = errno_text("cannot connect to events-syslog " + dest_);
        close_socket();
        return make_error(Errc::io_error, why);
      }
      return ok_status();
    }
    std::string host, port;
    split_udp(dest_, host, port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return make_error(Errc::io_error, "cannot resolve events-syslog " + dest_ + ": " + gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd_ < 0) continue;
      if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) return ok_status();
      close_socket();
    }
    return make_error(Errc::io_error, errno_text("cannot connect to events-syslog " + dest_));
  }
  void close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 public:
  // split_udp: "udp://HOST:PORT" or "udp://[V6]:PORT" → HOST, PORT (false if malformed).
  static bool split_udp(const std::string& dest, std::string& host, std::string& port) {
    if (dest.rfind("udp://", 0) != 0) return false;
    const std::string rest = dest.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) return false;
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos)
      return false;
    int p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    return !host.empty() && ec == std::errc() && end == port.data() + port.size() && p >= 1 && p <= 65535;
  }

 private:
  std::string dest_;
  SyslogFacility facility_;
  std::size_t max_;
  bool local_;
  std::string hostname_, procid_;
  int fd_ = -1;
};

}  // namespace

Status check_syslog_destination(const std::string& dest) {
  if (dest.rfind("unix:", 0) == 0) {
    const std::string path = dest.substr(5);
    if (path.empty() || path[0] != '/' || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return make_error(Errc::config_error, "events-syslog unix: needs an absolute socket path: " + dest);
    }
    return ok_status();
  }
  std::string host, port;
  if (!SyslogSink::split_udp(dest, host, port)) {
    return make_error(Errc::config_error, "events-syslog must be udp://HOST:PORT or unix:/PATH: " + dest);
  }
  return ok_status();
}

bool syslog_local_form(const std::string& format, const std::string& dest) {
  return format == "local" || (format == "auto" && dest.rfind("unix:", 0) == 0);
}

Result<std::unique_ptr<EventExport>> EventExport::create(const EventExportSettings& s, Store& store) {
  std::vector<std::unique_ptr<EventSink>> sinks;
  if (!s.file.empty()) {
    auto f = std::make_unique<FileSink>(s.file);
    if (auto st = f->open_file(); !st.ok()) return make_error(Errc::config_error, st.error().detail);
    sinks.push_back(std::move(f));
  }
  if (!s.syslog.empty()) {
    PAW_CHECK(check_syslog_destination(s.syslog));
    // Not connected yet: a collector that is down at start is retried like one that goes down later.
    sinks.push_back(std::make_unique<SyslogSink>(s.syslog, s.facility, s.syslog_max, s.syslog_local));
  }
  PAW_TRY(std::int64_t newest, store.last_event_id());
  std::unique_ptr<EventExport> x(new EventExport(store, newest));
  for (auto& sink : sinks) {
    auto w = std::make_unique<Worker>();
    w->sink = std::move(sink);
    x->workers_.push_back(std::move(w));
  }
  for (auto& w : x->workers_) {
    Worker* wp = w.get();
    EventExport* self = x.get();
    w->thread = std::thread([self, wp] { self->run(*wp); });
  }
  return x;
}

Result<std::unique_ptr<EventExport>> EventExport::from_config(const Config& cfg, Store& store) {
  if (cfg.events_file.empty() && cfg.events_syslog.empty()) return std::unique_ptr<EventExport>();
  EventExportSettings s{cfg.events_file, cfg.events_syslog, SyslogFacility::authpriv,
                        static_cast<std::size_t>(cfg.events_syslog_max),
                        syslog_local_form(cfg.events_syslog_format, cfg.events_syslog)};
  if (!syslog_facility_from_name(cfg.events_syslog_facility, s.facility)) {
    return make_error(Errc::config_error, "unknown events-syslog-facility " + cfg.events_syslog_facility);
  }
  return create(s, store);
}

EventExport::~EventExport() {
  stop();
}

void EventExport::stop() {
  wake_.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void EventExport::notify() { wake_.notify(); }

void EventExport::run(Worker& w) {
  std::int64_t cursor = start_after_;
  std::int64_t wait_ms = 1000;
  bool failing = false;
  while (wake_.sleep(wait_ms, true)) {
    wait_ms = 1000;
    auto events = store_.list_events_in_order(cursor, kBatch);
    if (!events.ok()) continue;  // the database is away; the next tick asks again
    std::int64_t backoff_ms = 1000;
    for (const auto& e : *events) {
      for (;;) {
        auto st = w.sink->write(e);
        if (st.ok()) break;
        ++w.failures;
        if (!failing) {
          log_line(
              "warn", "cannot export events; retrying with back-off",
              {{"sink", w.sink->name()}, {"event_id", std::to_string(e.id)}, {"error", st.error().what()}});
          failing = true;
        }
        if (!wake_.sleep(backoff_ms, false)) return;
        backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 60000);
      }
      if (failing) {
        log_line("info", "exporting events again",
                 {{"sink", w.sink->name()}, {"event_id", std::to_string(e.id)}});
        failing = false;
        backoff_ms = 1000;
      }
      ++w.written;
      cursor = e.id;
    }
    if (static_cast<std::int64_t>(events->size()) == kBatch) wait_ms = 0;  // read on at once
  }
}

std::string EventExport::metrics() const {
  std::string out =
      "# HELP paw_events_exported_total Events written to events-file / events-syslog by this process.\n"
      "# TYPE paw_events_exported_total counter\n";
  for (const auto& w : workers_) {
    out += "paw_events_exported_total{sink=\"" + w->sink->name() + "\"} " +
           std::to_string(w->written.load()) + "\n";
  }
  out +=
      "# HELP paw_events_export_failures_total Failed writes (each retried) to events-file / events-syslog.\n"
      "# TYPE paw_events_export_failures_total counter\n";
  for (const auto& w : workers_) {
    out += "paw_events_export_failures_total{sink=\"" + w->sink->name() + "\"} " +
           std::to_string(w->failures.load()) + "\n";
  }
  return out;
}

}  // namespace paw::verifier
