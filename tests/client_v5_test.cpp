// placeholder: filled in by the client test work
#include "client_support.hpp"
