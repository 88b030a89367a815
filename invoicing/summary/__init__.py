"""The monthly summary confirmation (汇总确认): our figures of a month against the platform's."""
