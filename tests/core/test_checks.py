from core.checks import public_url_is_set


def test_deploy_check_warns_while_pdfs_would_print_localhost(settings):
    settings.HEZUO_PUBLIC_URL = "http://127.0.0.1:8000"
    assert [w.id for w in public_url_is_set(None)] == ["hezuo.W003"]
    settings.HEZUO_PUBLIC_URL = "https://hezuo.wenshang.example.cn"
    assert public_url_is_set(None) == []


REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/12"}}


def test_deploy_check_warns_when_several_processes_would_each_count_the_rate_limit_alone(settings, monkeypatch):
    from core.checks import rate_limits_are_shared

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    [warning] = rate_limits_are_shared(None)
    assert warning.id == "hezuo.W004" and "4" in warning.msg
    settings.CACHES = REDIS  # what REDIS_URL configures
    assert rate_limits_are_shared(None) == []


def test_one_process_without_redis_is_only_told_so_and_passes_fail_level_warning(monkeypatch):
    # CI checks the production settings without REDIS_URL or WEB_CONCURRENCY: an Info, below WARNING.
    from django.core.checks import WARNING

    from core.checks import rate_limits_are_shared

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    [info] = rate_limits_are_shared(None)
    assert info.id == "hezuo.I004" and info.level < WARNING


def test_redis_url_configures_djangos_redis_cache(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/12")
    try:
        configured = importlib.reload(base).CACHES["default"]
        assert configured["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert configured["LOCATION"] == "redis://127.0.0.1:6379/12"
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(base)
    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
