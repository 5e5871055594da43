# pwsh imports the module, which runs the real permwatch.exe through Wine
# ($env:PERMWATCH_EXE, $env:PERMWATCH_WINE = 'wine') in the rig's prefix,
# where tests/powershell/run_tests.sh started a console watchdog with its own
# config, pipe, journal and key (C:\PermWatchPester\watchdog.json), and made
# a second config for one-shot commands on a key no watchdog watches
# (oneshot.json). Keys are sabotaged with demo_actor, as scripts/demo.sh does.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $script:Actor = $env:PERMWATCH_TEST_ACTOR
    $script:Data = $env:PERMWATCH_TEST_DATA
    $script:Broken = 'D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)'
    $script:Watchdog = 'C:\PermWatchPester\watchdog.json'
    $script:OneShot = 'C:\PermWatchPester\oneshot.json'
    $script:OneShotKey = 'HKLM\SOFTWARE\PermWatchPester\OneShot'
    $script:OneShotJournal = Join-Path $script:Data 'oneshot-journal.jsonl'
    function Get-Dacl([string] $Key) { (& wine $script:Actor get-dacl ($Key -replace '^HKLM\\', '') 2>$null | Out-String).Trim() }
    function Set-Dacl([string] $Key, [string] $Sddl) {
        & wine $script:Actor set-dacl ($Key -replace '^HKLM\\', '') $Sddl 2>$null | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "demo_actor set-dacl $Key failed" }
    }
}

Describe 'Get-PermWatchStatus against a running console watchdog' {
    It 'reads its status and sees the key compliant again after a sabotage and the repair' {
        $before = Get-PermWatchStatus -ConfigPath $script:Watchdog
        $before.PSObject.TypeNames[0] | Should -Be 'PermWatch.Status'
        $key = $before.Keys | Where-Object Path -eq 'HKLM\SOFTWARE\PermWatchPester\Watched'
        $key | Should -Not -BeNullOrEmpty
        $repairs = $key.Repairs
        Set-Dacl $key.Path $script:Broken
        # The watchdog sweeps every second (Wine does not signal DACL changes);
        # poll its status, bounded at 60 s, until it counts one more repair.
        $deadline = (Get-Date).AddSeconds(60)
        do {
            Start-Sleep -Milliseconds 500
            $now = (Get-PermWatchStatus -ConfigPath $script:Watchdog).Keys | Where-Object Path -eq $key.Path
        } until ($now.Repairs -gt $repairs -or (Get-Date) -gt $deadline)
        $now.Repairs | Should -BeGreaterThan $repairs
        $now.State | Should -BeIn 'compliant', 'repaired'
        $now.Compliant | Should -BeTrue
        $now.LastRepair | Should -BeGreaterThan $before.Keys[0].LastRepair
        Get-Dacl $key.Path | Should -Match '\(A;CI;KA;;;SY\)'
    }

    It 'reports a watchdog that is not running as a ResourceUnavailable error (exit 4)' {
        $all = @(Get-PermWatchStatus -ConfigPath $script:OneShot 2>&1)
        $all.Count | Should -Be 1
        $errs = $all
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.ServiceNotReachable*'
        $errs[0].Exception.Message | Should -Match 'permwatch-pester-oneshot'
    }
}

Describe 'Errors under -ErrorAction Stop' {
    It 'stop with the module''s own record, not with permwatch''s stderr line' {
        $e = { Get-PermWatchStatus -ConfigPath $script:OneShot -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PermWatch.ServiceNotReachable*'
        $e.TargetObject | Should -Not -BeNullOrEmpty
    }
}

Describe 'Invoke-PermWatchRepair and Restore-PermWatchKey: ShouldProcess on the real exe' {
    BeforeAll {
        Remove-Item -LiteralPath $script:OneShotJournal -ErrorAction SilentlyContinue
        Set-Dacl $script:OneShotKey $script:Broken
        $script:BrokenDacl = Get-Dacl $script:OneShotKey
    }

    It '-WhatIf runs the dry run only: the key and the journal are unchanged' {
        $out = Invoke-PermWatchRepair -ConfigPath $script:OneShot -WhatIf
        $out | Should -BeNullOrEmpty
        Get-Dacl $script:OneShotKey | Should -Be $script:BrokenDacl
        Test-Path -LiteralPath $script:OneShotJournal | Should -BeFalse
    }

    It '-Confirm:$false repairs, journaled first' {
        $out = @(Invoke-PermWatchRepair -ConfigPath $script:OneShot -Confirm:$false)
        $out.Count | Should -Be 1
        $out[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.KeyState'
        $out[0].State | Should -Be 'repaired'
        Get-Dacl $script:OneShotKey | Should -Match '\(A;CI;KA;;;SY\)'
        $entry = @(Get-PermWatchJournal -Path $script:OneShotJournal)
        $entry.Count | Should -Be 1
        $entry[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.JournalEntry'
        $entry[0].Key | Should -Be $script:OneShotKey
        $entry[0].Reason | Should -Be 'manual'
        $entry[0].Before | Should -Match ([regex]::Escape('D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)') + '$')
        $entry[0].After | Should -Match '\(A;CI;KA;;;SY\)$'
        $entry[0].Time | Should -BeOfType [datetime]
    }

    It 'with nothing to repair returns the keys and asks nothing' {
        $out = @(Invoke-PermWatchRepair -ConfigPath $script:OneShot)
        $out[0].State | Should -Be 'compliant'
    }

    It 'Restore-PermWatchKey -WhatIf changes nothing' {
        Get-PermWatchJournal -Path $script:OneShotJournal -Last 1 | Restore-PermWatchKey -ConfigPath $script:OneShot -WhatIf |
            Should -BeNullOrEmpty
        Get-Dacl $script:OneShotKey | Should -Match '\(A;CI;KA;;;SY\)'
        @(Get-PermWatchJournal -Path $script:OneShotJournal).Count | Should -Be 1
    }

    It 'Restore-PermWatchKey -Confirm:$false rolls back the journal entry piped to it, journaled as a rollback' {
        $repair = Get-PermWatchJournal -Path $script:OneShotJournal -Last 1
        $out = @($repair | Restore-PermWatchKey -ConfigPath $script:OneShot -Confirm:$false)
        $out[0].PSObject.TypeNames[0] | Should -Be 'PermWatch.RestoreResult'
        $out[0].Key | Should -Be $script:OneShotKey
        $out[0].Message | Should -Match "before journal entry $($repair.Id)\b"
        Get-Dacl $script:OneShotKey | Should -Be $script:BrokenDacl
        $last = Get-PermWatchJournal -Path $script:OneShotJournal -Key 'hkey_local_machine\software\permwatchpester\oneshot' -Last 1
        $last.Reason | Should -Be 'rollback'
        $last.Id | Should -BeGreaterThan (Get-PermWatchJournal -Path $script:OneShotJournal -Last 2)[0].Id
    }

    It 'a refused rollback (no such entry) is a terminating error and restores nothing' {
        $e = { Restore-PermWatchKey -Id '999999999999' -ConfigPath $script:OneShot -Confirm:$false } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PermWatch.RollbackRefused*'
        $e.Exception.Data['PermWatchExitCode'] | Should -Be 2
        Get-Dacl $script:OneShotKey | Should -Be $script:BrokenDacl
    }
}

Describe 'Get-PermWatchJournal on the journal the exe wrote' {
    BeforeAll {
        $script:Copy = Join-Path $TestDrive 'journal.jsonl'
        Copy-Item -LiteralPath $script:OneShotJournal -Destination $script:Copy
        $script:Lines = @(Get-Content -LiteralPath $script:Copy)
    }
    It 'filters by -Since and -Last' {
        $all = @(Get-PermWatchJournal -Path $script:Copy)
        $all.Count | Should -Be $script:Lines.Count
        @(Get-PermWatchJournal -Path $script:Copy -Since $all[-1].Time).Count | Should -Be 1
        @(Get-PermWatchJournal -Path $script:Copy -Since $all[-1].Time.AddSeconds(1)).Count | Should -Be 0
        (Get-PermWatchJournal -Path $script:Copy -Last 1).Id | Should -Be $all[-1].Id
        @(Get-PermWatchJournal -Path $script:Copy -Key 'HKLM\SOFTWARE\Other').Count | Should -Be 0
    }
    It 'reads the rotated files first, oldest first' {
        Copy-Item -LiteralPath $script:Copy -Destination "$script:Copy.2"
        try {
            $all = @(Get-PermWatchJournal -Path $script:Copy)
            $all.Count | Should -Be (2 * $script:Lines.Count)
            $all[0].File | Should -Be "$script:Copy.2"
            $all[-1].File | Should -Be $script:Copy
        }
        finally { Remove-Item -LiteralPath "$script:Copy.2" }
    }
    It 'treats its lines as hostile: a bad line is an error naming file and line, a torn last line a warning' {
        $hostile = Join-Path $TestDrive 'hostile.jsonl'
        $text = ($script:Lines -join "`n") + "`n" + '{"id":"x","time":"not json' + "`n" +
            '{"id":7,"time":"2026-12-06T17:08:01.271Z","key":"k","reason":"drift","before":"","after":""}' + "`n" +
            $script:Lines[0]
        [IO.File]::WriteAllText($hostile, $text)
        # Redirected, as the user sees them (-ErrorVariable would also hold the errors the module caught).
        $all = @(Get-PermWatchJournal -Path $hostile 2>&1 3>&1)
        $errs = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $warns = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $out = @($all | Where-Object { $_.PSObject.TypeNames[0] -eq 'PermWatch.JournalEntry' })
        $out.Count | Should -Be $script:Lines.Count
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.JournalLineUnreadable*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be "$hostile`:$($script:Lines.Count + 1)"
        $errs[1].Exception.Message | Should -Match "line $($script:Lines.Count + 2) .*'id'"
        "$warns" | Should -Match "line $($script:Lines.Count + 3) has no newline"
    }
}
