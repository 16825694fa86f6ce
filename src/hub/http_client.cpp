#include "hub/http_client.h"

#include <curl/curl.h>

#include <exception>
#include <mutex>

namespace r1::hub {
namespace {

constexpr std::size_t kMaxCollectedBody = 1 << 20;

struct Transfer {
  HttpResponse response;
  const BodySink* sink = nullptr;
  const HeadersCallback* on_headers = nullptr;
  bool headers_reported = false;
  std::exception_ptr error;
};

bool is_success(int status) { return status >= 200 && status < 300; }

std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (const auto status = transfer->response.headers.add_line(std::string_view(data, bytes))) {
    transfer->response.status = *status;
  }
  return bytes;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  try {
    if (!transfer->headers_reported) {
      transfer->headers_reported = true;
      if (transfer->on_headers && *transfer->on_headers) (*transfer->on_headers)(transfer->response);
    }
    if (is_success(transfer->response.status) && transfer->sink && *transfer->sink) {
      (*transfer->sink)(data, bytes);
    } else if (transfer->response.body.size() < kMaxCollectedBody) {
      transfer->response.body.append(data, std::min(bytes, kMaxCollectedBody - transfer->response.body.size()));
    }
  } catch (...) {
    transfer->error = std::current_exception();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  return bytes;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

HttpClient::HttpClient() {
  global_init();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw Error(ErrorCode::io_error, "libcurl could not start (curl_easy_init)");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::perform(const HttpRequest& request, const BodySink& sink,
                                 const HeadersCallback& on_headers) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.sink = &sink;
  transfer.on_headers = &on_headers;
  char error_text[CURL_ERROR_SIZE] = {0};

  curl_slist* header_list = nullptr;
  for (const std::string& header : request.headers) header_list = curl_slist_append(header_list, header.c_str());

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "r1/" R1_VERSION);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header_line);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (transfer.error) std::rethrow_exception(transfer.error);
  if (code != CURLE_OK) {
    const std::string reason = error_text[0] != 0 ? error_text : curl_easy_strerror(code);
    throw NetworkError(request.method + " " + request.url + " failed: " + reason);
  }
  if (!transfer.headers_reported && on_headers) on_headers(transfer.response);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = static_cast<int>(status);
  char* effective_url = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective_url);
  transfer.response.url = effective_url != nullptr ? effective_url : request.url;
  return std::move(transfer.response);
}

}  // namespace r1::hub
