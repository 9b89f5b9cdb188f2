from core.checks import public_url_is_set


def test_deploy_check_warns_while_pdfs_would_print_localhost(settings):
    settings.HEZUO_PUBLIC_URL = "http://127.0.0.1:8000"
    assert [w.id for w in public_url_is_set(None)] == ["hezuo.W003"]
    settings.HEZUO_PUBLIC_URL = "https://hezuo.wenshang.example.cn"
    assert public_url_is_set(None) == []
