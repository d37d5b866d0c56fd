// The core's views and their URLs. Modules add theirs with shell.addRoute().

import { AboutView } from "./about.js";
import { FriendsView } from "./friends.js";
import { HomeView } from "./home.js";
import { LoginView } from "./login.js";
import { NotFoundView } from "./notfound.js";
import { NotificationsView } from "./notifications.js";
import { MyProfileView, ProfileView } from "./profile.js";
import { SettingsView } from "./settings.js";
import { SignupView } from "./signup.js";

export function registerCoreViews(shell) {
  const add = (path, View, auth) => shell.router.add(path, View, { auth });
  add("/", HomeView, false);
  add("/about", AboutView, false);
  add("/login", LoginView, false);
  add("/signup", SignupView, false);
  add("/profile", MyProfileView, true);
  add("/users/:id(\\d+)", ProfileView, true);
  add("/friends", FriendsView, true);
  add("/settings", SettingsView, true);
  add("/notifications", NotificationsView, true);
  shell.router.notFound = NotFoundView;
}
