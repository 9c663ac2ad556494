// The app's commands, listed once. `build.rs` includes this file to generate each
// command's `allow-<command>` permission, `lib.rs` to register the handlers and
// `bindings.rs` to name them for TypeScript; `tests/command_list.rs` checks the
// capability files and the UI's calls against it.
macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
            commands::kiosk_status,
            commands::setup_defaults,
            commands::setup_import_reference,
            commands::setup_set_admin_pin,
            commands::setup_bind_window,
            commands::setup_choose_role,
            commands::staff_sign_in,
            commands::staff_sign_out,
            commands::staff_set_case_no,
            commands::staff_clear_case_no,
            commands::submit_rating,
            commands::admin_gate,
            commands::admin_unlock,
            commands::admin_lock,
            commands::admin_overview,
            commands::admin_update_settings,
            commands::admin_sign_out_staff,
            commands::admin_export_csv,
            commands::admin_change_pin,
            commands::admin_log,
            commands::admin_save_log,
            commands::admin_exit,
            sync_commands::sync_status,
            sync_commands::sync_now,
            sync_commands::sync_enroll,
            officer_commands::officer_status,
            officer_commands::officer_sign_in,
            officer_commands::officer_sign_out,
            officer_commands::officer_sync,
            officer_commands::diary_choices,
            officer_commands::diary_list,
            officer_commands::diary_new,
            officer_commands::diary_open,
            officer_commands::diary_save,
            officer_commands::diary_delete_draft,
            officer_commands::diary_edit,
            officer_commands::diary_submit,
            officer_commands::diary_answer,
            officer_commands::diary_add_photo,
            officer_commands::diary_photo,
            officer_commands::diary_export,
        }
    };
}
