mod action_tokens;
mod avatar;
mod profile;
mod register;
mod session_tokens;
mod settings;
mod tos;
