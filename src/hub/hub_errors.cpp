#include "hub/hub_errors.h"

namespace r1::hub {
namespace {

std::string hub_message(const HttpResponse& response) {
  if (auto message = response.headers.get("x-error-message")) return *message;
  std::string body = response.body.substr(0, 300);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body;
}

std::string what_was_asked(const RequestSubject& subject) {
  std::string text = "repo " + subject.repo;
  if (!subject.revision.empty()) text += " at revision " + subject.revision;
  if (!subject.file.empty()) text = "file " + subject.file + " of " + text;
  return text;
}

std::string login_hint(const RequestSubject& subject) {
  if (subject.token_sent) {
    return "The token from " + subject.token_source +
           " was sent; check that it is valid and that its account has access to " +
           subject.repo + ".";
  }
  return "No token was sent: create one at https://huggingface.co/settings/tokens and set "
         "HF_TOKEN=hf_... (or write it to $HF_HOME/token, as `huggingface-cli login` does).";
}

}  // namespace

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

void throw_hub_error(const HttpResponse& response, const std::string& url,
                     const RequestSubject& subject) {
  const int status = response.status;
  const std::string code = response.headers.get("x-error-code").value_or("");
  const std::string said = hub_message(response);
  const std::string where = " (HTTP " + std::to_string(status) + " from " + url +
                            (said.empty() ? std::string() : ": " + said) + ")";
  if (code == "GatedRepo") {
    throw Error(ErrorCode::invalid_argument,
                "access to " + subject.repo + " is restricted (gated repo)" + where +
                    ". Accept its licence on https://huggingface.co/" + subject.repo +
                    " while logged in, then use a token of that account. " + login_hint(subject));
  }
  if (status == 401 || status == 403) {
    throw Error(ErrorCode::invalid_argument,
                "the hub refused " + what_was_asked(subject) +
                    ": the repo is private, gated or does not exist" + where + ". " +
                    login_hint(subject));
  }
  if (status == 404) {
    std::string what;
    if (code == "RepoNotFound") {
      what = "repo " + subject.repo + " not found on the hub; check the spelling (org/name)";
    } else if (code == "RevisionNotFound") {
      what = "revision '" + subject.revision + "' not found in " + subject.repo +
             "; give a branch, tag or commit that exists";
    } else if (code == "EntryNotFound") {
      what = "file " + subject.file + " not found in " + subject.repo + " at revision " +
             subject.revision;
    } else {
      what = what_was_asked(subject) + " not found (the repo, the revision or the file does not "
                                       "exist)";
    }
    throw Error(ErrorCode::not_found, what + where);
  }
  throw Error(ErrorCode::io_error, "the hub could not serve " + what_was_asked(subject) + where +
                                       "; try again later");
}

}  // namespace r1::hub
