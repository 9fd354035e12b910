"""The sign-in and change-password pages (zh-CN): plain forms that work without scripts."""

from __future__ import annotations

from html import escape


def render_login(
    *, next_url: str = "/", error: str | None = None, static_prefix: str = "/static"
) -> str:
    """The login page; `error` is shown above the form."""
    message = f'<p class="sx-login-error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 舒心 乡镇综合信息指挥室</title>
<link rel="stylesheet" href="{static_prefix}/css/shuxin-login.css">
<link rel="icon" href="{static_prefix}/favicon.svg">
</head>
<body>
<main class="sx-login">
  <h1>舒心 · 乡镇综合信息指挥室</h1>
  <p class="sx-login-sub">请使用本单位分配的账号登录</p>
  {message}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="{escape(next_url)}">
    <label>账号<input name="username" autocomplete="username" required autofocus></label>
    <label>密码<input name="password" type="password" autocomplete="current-password" required>
    </label>
    <button type="submit">登录</button>
  </form>
</main>
</body>
</html>
"""


def render_password(
    *,
    next_url: str = "/",
    must_change: bool = False,
    error: str | None = None,
    static_prefix: str = "/static",
) -> str:
    """The change-password page; `must_change` says the given password must be replaced."""
    message = f'<p class="sx-login-error" role="alert">{escape(error)}</p>' if error else ""
    why = (
        "首次登录或密码已被重置，请设置新密码后继续使用"
        if must_change
        else "修改密码后，其他设备上的登录将全部失效"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>修改密码 · 舒心 乡镇综合信息指挥室</title>
<link rel="stylesheet" href="{static_prefix}/css/shuxin-login.css">
<link rel="icon" href="{static_prefix}/favicon.svg">
</head>
<body>
<main class="sx-login">
  <h1>修改密码</h1>
  <p class="sx-login-sub">{why}</p>
  {message}
  <form method="post" action="/password">
    <input type="hidden" name="next" value="{escape(next_url)}">
    <label>当前密码<input name="current_password" type="password"
      autocomplete="current-password" required autofocus></label>
    <label>新密码（至少 10 位，不能含账号，不能是常见密码）<input name="new_password"
      type="password" autocomplete="new-password" minlength="10" required></label>
    <label>再次输入新密码<input name="repeat_password" type="password"
      autocomplete="new-password" minlength="10" required></label>
    <button type="submit">修改密码</button>
  </form>
</main>
</body>
</html>
"""
