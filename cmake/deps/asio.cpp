// Boost.Asio's out-of-line definitions, compiled once (every user of
// permwatch::asio gets BOOST_ASIO_SEPARATE_COMPILATION): otherwise each file
// that includes an Asio header compiles the whole of Asio's implementation.
#include <boost/asio/impl/src.hpp>
