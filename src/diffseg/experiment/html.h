#pragma once
// Escaping text for HTML element content and attribute values (the report is generated as a string).
#include <string>

namespace diffseg::experiment {

std::string html_escape(const std::string& text);

}  // namespace diffseg::experiment
