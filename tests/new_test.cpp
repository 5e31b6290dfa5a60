// `wactor new` (src/cli/new.cpp): the files it writes and what it refuses. Building and
// running the projects it writes is tests/new_project_test.sh (ctest wactor_new_projects).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wactor/cli.h"

namespace wactor::cli {
namespace {

namespace fs = std::filesystem;

class NewProject : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wactor-new-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  int run(const std::string& lang, const std::string& name, const std::string& sub) {
    out.str("");
    err.str("");
    return new_project({lang, name, (dir / sub).string()}, out, err);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir;
  std::ostringstream out, err;
};

TEST_F(NewProject, RustProjectHasTheTemplateWithTheNameAndACopyOfTheSdk) {
  ASSERT_EQ(run("rust", "my-app", "p"), kExitOk) << err.str();
  const auto p = dir / "p";
  EXPECT_NE(slurp(p / "Cargo.toml").find("name = \"my-app\""), std::string::npos);
  EXPECT_NE(slurp(p / "app.toml").find("release/my_app.wasm"), std::string::npos);
  EXPECT_NE(slurp(p / "app.toml").find("id = \"my-app\""), std::string::npos);
  EXPECT_TRUE(fs::exists(p / ".cargo/config.toml"));
  EXPECT_TRUE(fs::exists(p / "src/lib.rs"));
  EXPECT_TRUE(fs::exists(p / "sdk/Cargo.toml"));
  EXPECT_TRUE(fs::exists(p / "sdk/src/lib.rs"));
  EXPECT_FALSE(fs::exists(p / "sdk/template"));
  for (const auto& f : fs::recursive_directory_iterator(p)) {
    if (f.is_regular_file()) EXPECT_EQ(slurp(f.path()).find("{{"), std::string::npos) << f.path();
  }
}

TEST_F(NewProject, CProjectNamesItsSourceAfterTheComponent) {
  ASSERT_EQ(run("c", "greeter", "g"), kExitOk) << err.str();
  EXPECT_TRUE(fs::exists(dir / "g/greeter.c"));
  EXPECT_TRUE(fs::exists(dir / "g/sdk/wactor.h"));
  EXPECT_NE(slurp(dir / "g/Makefile").find("greeter.wasm: greeter.c"), std::string::npos);
  EXPECT_NE(slurp(dir / "g/README.md").find("make\nwactor run app.toml"), std::string::npos);
}

TEST_F(NewProject, RefusesAnExistingDirectoryABadNameAndAnUnknownLanguage) {
  fs::create_directories(dir / "taken");
  EXPECT_EQ(run("c", "x", "taken"), kExitError);
  EXPECT_NE(err.str().find("already exists"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir / "taken"));
  EXPECT_EQ(run("c", "../evil", "e"), kExitUsage);
  EXPECT_EQ(run("c", "9lives", "e"), kExitUsage);
  EXPECT_EQ(run("c", "", "e"), kExitUsage);
  EXPECT_EQ(run("cobol", "x", "e"), kExitUsage);
  EXPECT_NE(err.str().find("have: "), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "e"));
}

}  // namespace
}  // namespace wactor::cli
