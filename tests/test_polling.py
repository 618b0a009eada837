from bot.polling import urgent_first


def message(update_id: int, chat: int, text: str) -> dict:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": text}}


def test_urgent_updates_go_first_but_never_ahead_of_their_own_chat() -> None:
    batch = [
        message(1, 10, "hello"),
        message(2, 20, "hello"),
        message(3, 30, "/help_now"),
        message(4, 10, "/help_now"),
    ]
    ordered = urgent_first(batch, lambda raw: raw["message"]["text"] == "/help_now")
    assert [raw["update_id"] for raw in ordered] == [3, 1, 2, 4]
