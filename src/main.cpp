#include "wactor/cli.h"

int main(int argc, char** argv) { return wactor::cli::main(argc, argv); }
