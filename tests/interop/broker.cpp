#include "broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace sansmqtt::interop {

namespace {

using clock_type = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::string tail(const std::string& text, std::size_t lines) {
    std::size_t pos = text.size();
    if (pos != 0 && text[pos - 1] == '\n') --pos;
    for (std::size_t n = 0; n < lines; ++n) {
        const std::size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
        if (nl == std::string::npos) return text;
        pos = nl;
    }
    return text.substr(pos + 1);
}

}  // namespace

std::uint16_t free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in a = loopback(0);
    std::uint16_t port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
}

bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const sockaddr_in a = loopback(port);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string broker::mosquitto_path() {
    if (const char* env = std::getenv("SANSMQTT_MOSQUITTO"); env != nullptr && *env != '\0') return env;
#ifdef SANSMQTT_INTEROP_MOSQUITTO
    return SANSMQTT_INTEROP_MOSQUITTO;
#else
    return "/usr/sbin/mosquitto";
#endif
}

broker::broker(broker_options options) : options_(std::move(options)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "sansmqtt-broker-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
}

broker::~broker() {
    stop();
    std::error_code ignored;
    if (std::getenv("SANSMQTT_KEEP_BROKER_DIR") == nullptr) std::filesystem::remove_all(dir_, ignored);
}

std::string broker::path_in_cert_dir(const std::string& name) const {
    if (!name.empty() && name[0] == '/') return name;
    return options_.cert_dir + "/" + name;
}

std::string broker::log() const {
    std::ifstream in(log_path());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void broker::write_config() const {
    std::ofstream c(dir_ + "/mosquitto.conf", std::ios::trunc);
    c << "# written by tests/interop/broker.cpp\n";
    if (::geteuid() == 0) c << "user root\n";  // stay root: the key files are root's
    c << "log_dest stderr\n"  // the child's stderr is mosquitto.log
         "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
         "log_timestamp true\n"
         "connection_messages true\n"
         "allow_anonymous true\n";
    if (options_.persistence) {
        c << "persistence true\n"
             "persistence_location "
          << dir_
          << "/\n"
             "autosave_interval 1\n"
             "autosave_on_changes true\n";
    }
    if (options_.max_packet_size) c << "max_packet_size " << *options_.max_packet_size << "\n";
    if (options_.max_inflight_messages) c << "max_inflight_messages " << *options_.max_inflight_messages << "\n";
    if (options_.max_queued_messages) c << "max_queued_messages " << *options_.max_queued_messages << "\n";

    c << "\nlistener " << tls_port_ << " 127.0.0.1\n"
      << "cafile " << path_in_cert_dir(options_.cafile) << "\n"
      << "certfile " << path_in_cert_dir(options_.certfile) << "\n"
      << "keyfile " << path_in_cert_dir(options_.keyfile) << "\n";
    if (options_.require_certificate) {
        c << "require_certificate true\n"
             "use_identity_as_username true\n";
    }
    if (options_.max_topic_alias) c << "max_topic_alias " << *options_.max_topic_alias << "\n";
    if (options_.plain_listener) {
        c << "\nlistener " << plain_port_ << " 127.0.0.1\n";
        if (options_.max_topic_alias) c << "max_topic_alias " << *options_.max_topic_alias << "\n";
    }
    for (const std::string& line : options_.extra_lines) c << line << "\n";
}

bool broker::launch(std::string& error) {
    write_config();
    const std::string exe = mosquitto_path();
    const std::string conf = dir_ + "/mosquitto.conf";
    const std::string logfile = log_path();
    {
        std::ofstream l(logfile, std::ios::app);
        l << "---- sansmqtt test: starting mosquitto, TLS port " << tls_port_;
        if (options_.plain_listener) l << ", plain port " << plain_port_;
        l << "\n";
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
#ifdef __linux__
        // A test that crashes takes its broker with it.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() == 1) _exit(125);
#endif
        const int log_fd = ::open(logfile.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (log_fd >= 0) {
            ::dup2(log_fd, STDOUT_FILENO);
            ::dup2(log_fd, STDERR_FILENO);
        }
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
        if (::chdir(dir_.c_str()) != 0) _exit(126);
        ::execl(exe.c_str(), exe.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    pid_ = pid;

    const auto deadline = clock_type::now() + std::chrono::seconds(5);
    while (clock_type::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error = "mosquitto exited at start (" +
                    (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                                       : "signal " + std::to_string(WTERMSIG(status))) +
                    "); its log ends:\n" + tail(log(), 15);
            return false;
        }
        if (port_accepts(tls_port_) && (!options_.plain_listener || port_accepts(plain_port_))) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    error = "mosquitto did not accept connections within 5 s; its log ends:\n" + tail(log(), 15);
    return false;
}

bool broker::start(std::string& error) {
    if (running()) return true;
    for (int attempt = 0; attempt < 5; ++attempt) {
        tls_port_ = free_loopback_port();
        plain_port_ = options_.plain_listener ? free_loopback_port() : 0;
        if (tls_port_ == 0 || (options_.plain_listener && (plain_port_ == 0 || plain_port_ == tls_port_))) {
            error = "no free loopback port";
            continue;
        }
        if (launch(error)) return true;
        // Another process may have taken the port between our probe and mosquitto's bind.
        if (error.find("Address already in use") == std::string::npos) return false;
    }
    return false;
}

bool broker::restart(std::string& error) {
    stop();
    if (tls_port_ == 0) return start(error);
    return launch(error);
}

void broker::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // in case it was paused
    ::kill(pid_, SIGTERM);
    const auto deadline = clock_type::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (clock_type::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
}

void broker::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void broker::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace sansmqtt::interop
