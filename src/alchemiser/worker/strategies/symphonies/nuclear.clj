;; nuclear: "Nuclear Energy with Feaver Frontrunner V5", written from SPEC-nuclear.md.
;; Alchemiser's built-in `nuclear` evaluates this text. Step numbers in the comments
;; are the spec's; every comparison is strict, as the spec writes it.
(defsymphony "Nuclear Energy with Feaver Frontrunner V5 | BT 2022-03-24" {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(group "Nuclear Energy with Feaver Frontrunner V5 | BT 2022-03-24"
    [;; 1. SPY overbought
     (if
      (> (rsi "SPY" {:window 10}) 79)
      [(if
        (> (rsi "SPY" {:window 10}) 81)
        [(asset "UVXY" nil)]
        [(if
          (> (rsi "IOO" {:window 10}) 81)
          [(asset "UVXY" nil)]
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY" nil)]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY" nil)]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY" nil)]
                [(group "UVXY 75|25 BTAL"
                  [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])])])])])]
      [;; 2. IOO overbought
       (if
        (> (rsi "IOO" {:window 10}) 79)
        [(if
          (> (rsi "IOO" {:window 10}) 81)
          [(asset "UVXY" nil)]
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY" nil)]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY" nil)]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY" nil)]
                [(group "UVXY 75|25 BTAL"
                  [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])])])])]
        [;; 3. TQQQ overbought
         (if
          (> (rsi "TQQQ" {:window 10}) 79)
          [(if
            (> (rsi "TQQQ" {:window 10}) 81)
            [(asset "UVXY" nil)]
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY" nil)]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY" nil)]
                [(group "UVXY 75|25 BTAL"
                  [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])])])]
          [;; 4. VTV overbought
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(if
              (> (rsi "VTV" {:window 10}) 81)
              [(asset "UVXY" nil)]
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY" nil)]
                [(group "UVXY 75|25 BTAL"
                  [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])])]
            [;; 5. XLF overbought
             (if
              (> (rsi "XLF" {:window 10}) 79)
              [(if
                (> (rsi "XLF" {:window 10}) 81)
                [(asset "UVXY" nil)]
                [(group "UVXY 75|25 BTAL"
                  [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])]
              [;; 6. VOX overbought (the inner test reads XLF, as in the spec)
               (if
                (> (rsi "VOX" {:window 10}) 79)
                [(if
                  (> (rsi "XLF" {:window 10}) 81)
                  [(asset "UVXY" nil)]
                  [(group "UVXY 75|25 BTAL"
                    [(weight-specified 0.75 (asset "UVXY" nil) 0.25 (asset "BTAL" nil))])])]
                [;; 7. TQQQ oversold
                 (if
                  (< (rsi "TQQQ" {:window 10}) 30)
                  [(asset "TQQQ" nil)]
                  [;; 8. SPY oversold
                   (if
                    (< (rsi "SPY" {:window 10}) 30)
                    [(asset "UPRO" nil)]
                    [;; 9. bull: top 3 nuclear names by 90-day MAR
                     (if
                      (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))
                      [(group "Bull"
                        [(group "Nuclear Energy Portfolio"
                          [(filter
                            (moving-average-return {:window 90})
                            (select-top 3)
                            [(asset "SMR" nil)
                             (asset "BWXT" nil)
                             (asset "LEU" nil)
                             (asset "EXC" nil)
                             (asset "NLR" nil)
                             (asset "OKLO" nil)])])])]
                      [;; 10. bear: B1 and B2 weighted by the inverse 14-day volatility of their own returns
                       (group "Bear"
                        [(weight-inverse-volatility 14
                          [(group "Bear 1"
                            [;; B1.a
                             (if
                              (< (rsi "PSQ" {:window 10}) 35)
                              [(asset "SQQQ" nil)]
                              [;; B1.b
                               (if
                                (< (cumulative-return "QQQ" {:window 60}) -10)
                                [(if
                                  (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                  [(asset "TQQQ" nil)]
                                  [(asset "PSQ" nil)])]
                                [;; B1.c
                                 (if
                                  (>
                                   (current-price "TQQQ")
                                   (moving-average-price "TQQQ" {:window 20}))
                                  [(if
                                    (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                    [(asset "TQQQ" nil)]
                                    [(asset "SQQQ" nil)])]
                                  [;; B1.d
                                   (if
                                    (> (rsi "IEF" {:window 10}) (rsi "PSQ" {:window 20}))
                                    [(asset "SQQQ" nil)]
                                    [;; B1.e
                                     (if
                                      (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                      [(asset "QQQ" nil)]
                                      [;; B1.f
                                       (asset "SQQQ" nil)])])])])])])
                           (group "Bear 2"
                            [;; B2.a
                             (if
                              (< (rsi "PSQ" {:window 10}) 35)
                              [(asset "SQQQ" nil)]
                              [;; B2.b
                               (if
                                (>
                                 (current-price "TQQQ")
                                 (moving-average-price "TQQQ" {:window 20}))
                                [(if
                                  (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                  [(asset "TQQQ" nil)]
                                  [(asset "SQQQ" nil)])]
                                [;; B2.c
                                 (if
                                  (> (rsi "TLT" {:window 20}) (rsi "PSQ" {:window 20}))
                                  [(asset "QQQ" nil)]
                                  [;; B2.d
                                   (asset "SQQQ" nil)])])])])])])])])])])])])])])])])]))
